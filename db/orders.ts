/** Orders pushed by the trade system, and the facts the eligibility rules need about them. */
import type { EntityManager } from '@mikro-orm/mysql';
import { DomainError } from '../domain/errors';
import { assessEligibility, type Eligibility } from '../domain/rules';
import { chinaDay } from '../domain/time';
import { DailyUsage, Order, Payout, SellerAccount, type OrderFields } from './entities';

/** SPEC §6: a page of orders is answered at once; this bounds the page. */
export const ELIGIBILITY_BATCH_MAX = 100;

export async function upsertOrder(em: EntityManager, orderId: string, fields: OrderFields, now: Date): Promise<Order> {
  if (fields.cashPaidFen + fields.nonCashPaidFen !== fields.totalAmountFen) {
    throw new DomainError('VALIDATION_ERROR', 'cashPaid + nonCashPaid must equal totalAmount', { field: 'body.totalAmount' });
  }
  const existing = await em.findOne(Order, { orderId });
  if (existing) existing.update(fields, now);
  const order = existing ?? new Order(orderId, fields, now);
  await em.persistAndFlush(order);
  return order;
}

/**
 * Eligibility of up to ELIGIBILITY_BATCH_MAX orders of one seller, in a fixed number of queries
 * (account, today's usage, the orders, their claiming payouts), whatever the page size.
 */
export async function eligibilityOf(em: EntityManager, sellerId: string, orderIds: string[], now: Date): Promise<Eligibility[]> {
  if (orderIds.length > ELIGIBILITY_BATCH_MAX) throw new DomainError('VALIDATION_ERROR', `at most ${ELIGIBILITY_BATCH_MAX} orders`, { field: 'body.orderIds' });
  const [account, usage, orders, claims] = await Promise.all([
    em.findOne(SellerAccount, { sellerId }),
    em.findOne(DailyUsage, { sellerId, chinaDay: chinaDay(now) }),
    em.find(Order, { orderId: { $in: orderIds }, sellerId }),
    em.find(Payout, { orderClaim: { $in: orderIds }, sellerId }, { fields: ['id', 'status', 'orderClaim'] }),
  ]);
  const byId = new Map(orders.map((o) => [o.orderId, o]));
  const claimOf = new Map(claims.map((p) => [p.orderClaim, p]));
  return orderIds.map((orderId) => {
    const order = byId.get(orderId);
    if (!order) return { orderId, eligible: false, maxAmount: 0, reasons: ['NOT_FOUND'] };
    const claim = claimOf.get(orderId);
    return assessEligibility({
      account: {
        enabled: account?.enabled ?? false,
        agreementSigned: Boolean(account?.agreementId),
        limits: account?.limits ?? { dailyCount: 0, dailyAmount: 0, perPayoutAmount: 0 },
        availableFen: account?.availableFen ?? 0,
      },
      order: { orderId, status: order.status, paymentType: order.paymentType, cashPaid: order.cashPaidFen },
      usage: { count: usage?.count ?? 0, amountFen: usage?.amountFen ?? 0 },
      existing: claim ? { id: claim.id, status: claim.status } : null,
    });
  });
}
