/** SPEC §6: orders from the trade system, eligibility for the four entry points, refund pages. */
import { Payout } from '../../db/payouts/entities';
import type { Order } from '../../db/orders/entities';
import { eligibilityOf, upsertOrder } from '../../db/orders/orders';
import { toPayoutView } from '../../db/payouts/payouts';
import { DomainError } from '../../domain/errors';
import { buyerMaySee } from '../../domain/payout';
import { refundableCashFen } from '../../domain/rules';
import { principalOf, type Handler, type Schemas } from '../types';
import { sellerOf, visibleOrder } from './scope';

function toOrder(order: Order): Schemas['Order'] {
  return {
    orderId: order.orderId,
    sellerId: order.sellerId,
    buyerId: order.buyerId,
    status: order.status,
    paymentType: order.paymentType,
    totalAmount: order.totalAmountFen,
    cashPaid: order.cashPaidFen,
    nonCashPaid: order.nonCashPaidFen,
    updatedAt: order.updatedAt.toISOString(),
  };
}

/**
 * The trade system's order, accepted as it says (SPEC §6). A change that cancels a pending payout
 * marks it in the same transaction; its workflow is told after the commit. A tell that fails is
 * logged and left to the worker's sweep: the order is stored, so the answer is still 200.
 */
export const putOrder: Handler<'putOrder'> = async (call) => {
  const b = call.body;
  const { order, cancelled } = await upsertOrder(call.em, call.params.orderId, {
    sellerId: b.sellerId,
    buyerId: b.buyerId,
    status: b.status,
    paymentType: b.paymentType,
    totalAmountFen: b.totalAmount,
    cashPaidFen: b.cashPaid,
    nonCashPaidFen: b.nonCashPaid,
  }, call.deps.clock.now());
  // Tests only (config.ts): die as a crash would, between the order's commit and the tell.
  if (cancelled.length > 0 && call.deps.config.crashAfterOrderCommit) process.kill(process.pid, 'SIGKILL');
  await Promise.all(cancelled.map(({ payoutId, closeReason }) => call.deps.gateway.tellOrderChanged(payoutId, closeReason).catch((err) => {
    call.log.warn({ payoutId, err }, 'order change not told to the payout workflow; the sweep will');
  })));
  return { status: 200, body: toOrder(order) };
};

/** The order as the trade system pushed it; another seller's order is 404 (visibleOrder). */
export const getOrder: Handler<'getOrder'> = async (call) => {
  const order = await visibleOrder(call.em, principalOf(call), call.params.orderId);
  return { status: 200, body: toOrder(order) };
};

export const getPayoutEligibility: Handler<'getPayoutEligibility'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  const [answer] = await eligibilityOf(call.em, sellerId, [call.params.orderId], call.deps.clock.now());
  if (answer.reasons.includes('NOT_FOUND')) throw new DomainError('NOT_FOUND', `order ${call.params.orderId} not found`);
  return { status: 200, body: answer };
};

export const batchPayoutEligibility: Handler<'batchPayoutEligibility'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  return { status: 200, body: { items: await eligibilityOf(call.em, sellerId, call.body.orderIds, call.deps.clock.now()) } };
};

/**
 * The refund pages (SPEC §6): the order's payout — the one that uses up its slot, else the latest
 * cancelled one — and the cash still refundable once every payout that holds or paid money is
 * taken off, so that a refund and a payout never pay the same money twice.
 */
export const getOrderPayout: Handler<'getOrderPayout'> = async (call) => {
  const principal = principalOf(call);
  const order = await visibleOrder(call.em, principal, call.params.orderId);
  const payouts = await call.em.find(Payout, { orderId: order.orderId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  // The buyer does not see a payout before its approval (SPEC §5), but refundableCash still counts its hold.
  const shown = principal.role === 'buyer' ? payouts.filter(buyerMaySee) : payouts;
  const current = shown.find((p) => p.orderClaim !== null) ?? shown[0] ?? null;
  const paidOut = payouts.filter((p) => p.status === 'PAID').reduce((sum, p) => sum + p.amountFen, 0);
  return {
    status: 200,
    body: {
      orderId: order.orderId,
      payout: current ? toPayoutView(current) : null,
      cashPaid: order.cashPaidFen,
      paidOut,
      refundableCash: refundableCashFen(order.cashPaidFen, payouts.map((p) => ({ status: p.status, amountFen: p.amountFen }))),
    },
  };
};
