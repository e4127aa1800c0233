/**
 * The fault run's load: every payout created and decided by clients `concurrency` at a time, while
 * the trade system closes some orders and refunds part of the cash of others — at random moments,
 * some at the very moment their buyer confirms.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Market, Seller } from '../test/support/http-market';
import type { JsonClient } from '../test/support/json-client';

/** Each payout moves ¥0.01 to this at random; each seller funds 500 of them (well under 1,000 a day). */
export const PAYOUT_FEN_MAX = 1_000;
export const SELLER_PAYOUTS_MAX = 500;

export type Plan = 'confirm' | 'decline' | 'cancel' | 'expire';
/** What the trade system does to the payout's order while the payout is open. */
export type OrderChange = 'CLOSE' | 'REFUND';

export interface Tracked {
  id: string | null;
  orderId: string;
  amountFen: number;
  plan: Plan;
  expiresAtMs: number | null;
  /** The decision's answer (200, 202, 409…), when the plan sends one. */
  /**
   * The answer to the decision; `receivedAtMs` is a 202's `receivedAt`, when the API handed the
   * decision to Temporal (its place in history, which decides against the deadline).
   */
  decision: { status: number; sentAtMs: number; receivedAtMs: number | null; whileAllWorkersDown: boolean } | null;
  orderChange: OrderChange | null;
  /** The order change was sent at the same moment as the decision. */
  racing: boolean;
  /** The create's last answer when it was not 201 (0: none), and what it said. */
  createRefused: { status: number; code: string } | null;
}

export interface DriveOptions {
  payouts: number;
  concurrency: number;
  confirmWindowS: number;
  /** Shares of payouts whose order the trade system closes, or refunds beyond `refundableCash`. */
  orderCloseRate: number;
  orderRefundRate: number;
}

export interface Load {
  done: boolean;
  /** The run's time limit came before every payout was started: the rest were never sent. */
  cutShort: boolean;
  /** Payouts started so far, of `payouts`. */
  started: number;
  /** Payouts created (201) so far. */
  created: number;
  promise: Promise<Tracked[]>;
}

function pickPlan(): Plan {
  const r = Math.random();
  return r < 0.5 ? 'confirm' : r < 0.65 ? 'decline' : r < 0.8 ? 'cancel' : 'expire';
}

function pickOrderChange(options: DriveOptions): OrderChange | null {
  const r = Math.random();
  return r < options.orderCloseRate ? 'CLOSE' : r < options.orderCloseRate + options.orderRefundRate ? 'REFUND' : null;
}

/**
 * Creates every payout and sends its decision and its order change, `concurrency` at a time. No
 * payout starts after `deadline` (the client stops retrying then too), so a stuck run ends.
 */
export function drive(client: JsonClient, market: Market, options: DriveOptions, allWorkersDown: () => boolean, deadline: number): Load {
  const tracked: Tracked[] = [];
  const load: Load = { done: false, cutShort: false, started: 0, created: 0, promise: Promise.resolve(tracked) };
  const lane = async () => {
    while (load.started < options.payouts) {
      if (Date.now() >= deadline) {
        load.cutShort = true;
        return;
      }
      const i = load.started++;
      const seller = market.sellers[i % market.sellers.length];
      tracked[i] = await onePayout(client, market.systemToken, seller, i, options, allWorkersDown, () => load.created++, deadline);
    }
  };
  load.promise = Promise.all(Array.from({ length: options.concurrency }, lane)).then(() => {
    load.done = true;
    return tracked;
  });
  return load;
}

const ORDER_CASH_FEN = 2 * PAYOUT_FEN_MAX;

async function onePayout(
  client: JsonClient, system: string, seller: Seller, i: number, options: DriveOptions, allWorkersDown: () => boolean, onCreated: () => void, deadline: number,
): Promise<Tracked> {
  const plan = pickPlan();
  const orderId = `chaos-order-${i}`;
  const order = { sellerId: seller.sellerId, buyerId: seller.buyerId, status: 'PAID', paymentType: 'STANDARD', totalAmount: ORDER_CASH_FEN, cashPaid: ORDER_CASH_FEN, nonCashPaid: 0 };
  await client.expect(200, 'PUT', `/v1/orders/${orderId}`, { token: system, body: order, patient: true });
  const amountFen = 1 + Math.floor(Math.random() * PAYOUT_FEN_MAX);
  const orderChange = pickOrderChange(options);
  const t: Tracked = { id: null, orderId, amountFen, plan, expiresAtMs: null, decision: null, orderChange, racing: false, createRefused: null };
  const create = () => client.send('POST', '/v1/payouts', {
    token: seller.operatorTokens[0], body: { orderId, amount: amountFen, reason: 'COMPENSATION' }, headers: { 'idempotency-key': `chaos-payout-${i}` },
  });
  // A seller's system that got no answer, or 503, sends the create again under its key until it
  // gets one (the API's contract), past `send`'s minute of retries if faults pile up, until the run's end.
  let created = await create();
  while ((created.status === 0 || created.status >= 500) && Date.now() < deadline) created = await create();
  if (created.status !== 201) {
    t.createRefused = { status: created.status, code: String((created.body as { error?: { code?: unknown } } | null)?.error?.code ?? '') };
    return t;
  }
  const payout = created.body as { id: string; expiresAt?: string };
  t.id = payout.id;
  onCreated();
  t.expiresAtMs = typeof payout.expiresAt === 'string' ? Date.parse(payout.expiresAt) : null;
  const windowMs = options.confirmWindowS * 1_000;
  const decisionDelayMs = Math.random() * windowMs * 0.4; // within the first 40 % of the window
  t.racing = orderChange !== null && plan !== 'expire' && Math.random() < 0.5;
  // An order change not racing the decision comes at any moment of the window's first 60 %.
  const orderDelayMs = t.racing ? decisionDelayMs : Math.random() * windowMs * 0.6;
  await Promise.all([
    plan === 'expire' ? undefined : sleep(decisionDelayMs).then(async () => {
      const token = plan === 'cancel' ? seller.operatorTokens[0] : seller.buyerToken;
      const sentAtMs = Date.now();
      const whileAllWorkersDown = allWorkersDown();
      const answer = await client.send('POST', `/v1/payouts/${t.id}/${plan}`, { token });
      const receivedAt = answer.status === 202 ? (answer.body as { receivedAt?: string }).receivedAt : undefined;
      t.decision = { status: answer.status, sentAtMs, receivedAtMs: receivedAt ? Date.parse(receivedAt) : null, whileAllWorkersDown };
    }),
    orderChange === null ? undefined : sleep(orderDelayMs).then(async () => {
      // A refund beyond refundableCash: the cash left is below the payout's amount.
      const cashPaid = orderChange === 'CLOSE' ? ORDER_CASH_FEN : Math.floor(amountFen / 2);
      const changed = { ...order, status: orderChange === 'CLOSE' ? 'CLOSED' : 'PAID', totalAmount: cashPaid, cashPaid };
      await client.expect(200, 'PUT', `/v1/orders/${orderId}`, { token: system, body: changed, patient: true });
    }),
  ]);
  return t;
}
