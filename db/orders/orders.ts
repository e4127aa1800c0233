/** Orders pushed by the trade system, and the facts the eligibility rules need about them. */
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/mysql';
import { DomainError } from '../../domain/errors';
import type { OrderCloseReason } from '../../domain/payout';
import type { Id } from '../../domain/id';
import { ORDER_CANCELLABLE_STATUSES, assessEligibility, orderCloseReason, type Eligibility } from '../../domain/rules';
import { chinaDay } from '../../domain/time';
import { SellerAccount, limitsOf } from '../reserve/entities';
import { dayUsage } from '../payouts/day-tallies';
import { Order, type OrderFields } from './entities';
import { Payout } from '../payouts/entities';

/** SPEC §6: a page of orders is answered at once; this bounds the page. */
export const ELIGIBILITY_BATCH_MAX = 100;

export interface OrderUpdate {
  order: Order;
  /** Payouts this update cancels (SPEC §5 "The edges"): their workflows are told after the commit. */
  cancelled: { payoutId: string; closeReason: OrderCloseReason }[];
}

/**
 * Upserts the trade system's order (its orders are the truth, SPEC §6) and, in the same
 * transaction, marks the pending payout the change cancels. The mark is the durable half of the
 * cancellation: the caller tells the workflow after the commit, and if it dies before that, the
 * workflow finds the mark when it next writes the payout and the worker's sweep tells it again.
 * Lock order: the order, then its seller, then its payouts. The order before the payouts, like the
 * confirmation, so the two never both win; the seller too, since a reservation reads the order
 * with the seller's lock alone (db/payouts/payouts.ts `lockSellerForReservation`): an update then
 * either commits before a reservation reads the order, or finds the reserved payout here.
 */
export async function upsertOrder(em: EntityManager, orderId: string, fields: OrderFields, now: Date): Promise<OrderUpdate> {
  if (fields.cashPaidFen + fields.nonCashPaidFen !== fields.totalAmountFen) {
    throw new DomainError('VALIDATION_ERROR', 'cashPaid + nonCashPaid must equal totalAmount', { field: 'body.totalAmount' });
  }
  try {
    return await writeOrder(em.fork(), orderId, fields, now);
  } catch (err) {
    // Two first pushes of one order raced to insert it: the second is an update of the first.
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    return writeOrder(em.fork(), orderId, fields, now);
  }
}

async function writeOrder(em: EntityManager, orderId: string, fields: OrderFields, now: Date): Promise<OrderUpdate> {
  return em.transactional(async (tx) => {
    const existing = await tx.findOne(Order, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    await lockSellers(tx, [fields.sellerId, ...(existing ? [existing.sellerId] : [])]);
    const payouts = existing ? await tx.find(Payout, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : [];
    if (existing && payouts.length > 0 && (existing.sellerId !== fields.sellerId || existing.buyerId !== fields.buyerId)) {
      throw new DomainError('ORDER_PARTIES_LOCKED', `order ${orderId} has a payout: its seller and buyer cannot change`, { payoutId: payouts[0].id });
    }
    const order = existing ? tx.assign(existing, { ...fields, updatedAt: now }) : tx.create(Order, { orderId, ...fields, updatedAt: now });
    const closeReason = orderCloseReason({ status: fields.status, cashPaid: fields.cashPaidFen }, payouts.map((p) => ({ status: p.status, amountFen: p.amountFen })));
    const cancelled: OrderUpdate['cancelled'] = [];
    for (const payout of payouts) {
      if (!closeReason || !ORDER_CANCELLABLE_STATUSES.includes(payout.status)) continue;
      // The first order change that cancels the payout names the reason.
      payout.pendingCloseReason ??= closeReason;
      cancelled.push({ payoutId: payout.id, closeReason: payout.pendingCloseReason });
    }
    return { order, cancelled };
  });
}

/**
 * The accounts of the order's seller, and of the seller it had when a push moves it to another, under
 * lock, in id order (sellers without an account have no row to lock, and no payout to reserve).
 */
async function lockSellers(tx: EntityManager, sellerIds: string[]): Promise<void> {
  const ids = [...new Set(sellerIds)].sort();
  await tx.execute(`select seller_id from seller_accounts where seller_id in (${ids.map(() => '?').join(', ')}) order by seller_id for update`, ids);
}

/**
 * Eligibility of up to ELIGIBILITY_BATCH_MAX orders of one seller, in a fixed number of queries
 * (account, today's usage, the orders, their claiming payouts), whatever the page size.
 */
export async function eligibilityOf(em: EntityManager, sellerId: Id, orderIds: string[], now: Date): Promise<Eligibility[]> {
  if (orderIds.length > ELIGIBILITY_BATCH_MAX) throw new DomainError('VALIDATION_ERROR', `at most ${ELIGIBILITY_BATCH_MAX} orders`, { field: 'body.orderIds' });
  const [account, usage, orders, claims] = await Promise.all([
    em.findOne(SellerAccount, { sellerId }),
    dayUsage(em, sellerId, chinaDay(now)),
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
        limits: account ? limitsOf(account) : { dailyCount: 0, dailyAmount: 0, perPayoutAmount: 0 },
        availableFen: account?.availableFen ?? 0,
      },
      order: { orderId, status: order.status, paymentType: order.paymentType, cashPaid: order.cashPaidFen },
      usage,
      existing: claim ? { id: claim.id, status: claim.status } : null,
    });
  });
}
