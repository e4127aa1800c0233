/**
 * The payout's writes, one transaction each, every one safe to run twice: reserve (every SPEC §4
 * rule, the hold and the day's usage together), confirm, release and post. Each starts by locking
 * the seller's account row, so one seller's payouts are serialised and sellers never wait on
 * each other. Each one that changes a payout's status also moves it between the summary's
 * day tallies (countStatusChange), one statement in the same transaction. The reservation, the
 * confirmation and the posting send the writes they have decided on in one packet (sendTogether,
 * db/beginless.ts): a round trip each, where there was one a statement. Their common paths, whose
 * every statement is hand-written, run on the driver's connection (directTransaction, db/direct.ts)
 * without the ORM around each statement; the rest keep the ORM's transactions.
 */
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/mysql';
import { DomainError } from '../../domain/errors';
import type { CloseReason, PayoutMoment, PayoutRequest, PayoutStatus, PayoutView, ReleasedStatus } from '../../domain/payout';
import { PAYOUT_MOMENTS, SYSTEM_ACTOR, UNDECIDED, approvalWindowMs, isTerminal } from '../../domain/payout';
import { isId } from '../../domain/id';
import type { IdempotencyKeyOf, StoredAnswer } from '../common/entities';
import { ORDER_CANCELLABLE_STATUSES, evaluatePayout, freesOrder, orderCloseReason } from '../../domain/rules';
import { chinaDay } from '../../domain/time';
import { lowBalanceCrossing, type LowBalanceCrossing } from '../reserve/accounts';
import { SellerAccount, limitsOf } from '../reserve/entities';
import { Order } from '../orders/entities';
import { NOT_YET_DECIDED, Payout, type PayoutEventType, type PayoutRow } from './entities';
import { countStatusChange, dayUsageColumns, dayUsageOf, statusChangeStatement, toSafeInteger, type Counted, type DayUsage } from './day-tallies';
import { runStatement, type Statement } from '../beginless';
import { insertStatement } from '../insert-once';
import { rowOf } from '../row-of';
import { PAYOUT_MEMO, balancesStatement, entryStatement, lockSellerAccount, move } from '../ledger/ledger';
import { cardsStatement, storeCards, type Card } from '../notifications/cards';
import { crossingOf, holdCrosses } from '../reserve/top-ups';
import { directTransaction, ormReader, type DirectTransaction, type RowReader } from '../direct';

export function toPayoutView(payout: PayoutRow): PayoutView {
  const moments = Object.fromEntries(PAYOUT_MOMENTS.map((moment) => [moment, payout[moment]?.toISOString() ?? null]));
  return {
    id: payout.id,
    orderId: payout.orderId,
    sellerId: payout.sellerId,
    buyerId: payout.buyerId,
    amount: payout.amountFen,
    reason: payout.reason,
    note: payout.note,
    status: payout.status,
    initiatedBy: payout.initiatedBy,
    createdAt: payout.createdAt.toISOString(),
    ...(moments as Record<PayoutMoment, string | null>),
    closeReason: payout.closeReason,
    providerTransactionId: payout.providerTransactionId,
  };
}

/**
 * Adds a timeline event once, in one statement: the unique (payout_id, type) key turns a replayed
 * activity's insert into a no-op. Nothing here needs to know whether the row was new, so this uses
 * ON DUPLICATE KEY UPDATE, which fails on any other error, rather than insertOnce's INSERT IGNORE.
 */
async function recordEvent(em: EntityManager, payoutId: string, type: PayoutEventType, actor: string | null, at: Date) {
  await runStatement(em, eventStatement(payoutId, type, actor, at));
}

/** recordEvent's statement, for a packet. */
function eventStatement(payoutId: string, type: PayoutEventType, actor: string | null, at: Date): Statement {
  return { sql: 'insert into `payout_events` (`payout_id`, `type`, `actor`, `at`) values (?, ?, ?, ?) on duplicate key update `payout_id` = `payout_id`', params: [payoutId, type, actor, at] };
}

export interface Reservation {
  payout: PayoutView;
  /** Whether the hold took available below the seller's alert threshold; undefined when replayed (read it from the ledger). */
  lowBalance: LowBalanceCrossing | undefined;
  /** The top-up the hold's crossing asked for or joined (SPEC §5 automatic top-up); undefined when replayed. */
  topUpId: string | null | undefined;
  /** The buyer's cards stored with the hold (`sentCards`), for the workflow to deliver; undefined when none were. */
  storedCards?: string[];
}

/**
 * SPEC §5.1: checks every rule and holds the amount, in one transaction, with the buyer's card of
 * the payout (`sentCards`). Refused → throws the rule's DomainError and nothing is held or
 * counted. Replayed with the same payout id → returns the payout as it was reserved the first time
 * (asReserved), holding, counting and storing nothing again.
 */
export async function reservePayout(em: EntityManager, request: PayoutRequest, now: Date, confirmWindowMs: number, sentCards?: CardsOf): Promise<Reservation> {
  // On the driver's connection (db/direct.ts, issue 18): every statement here is hand-written, and
  // the ORM around them cost a hot seller's create more CPU than the statements themselves.
  return directTransaction(em, async (tx) => {
    // The order is read with the seller's lock: an order update (which locks the order, then its
    // seller, then its payouts: db/orders/orders.ts) either commits first, and this sees it, or
    // waits until this payout exists, and then cancels it if it must. Either way no payout is left
    // pending on a closed order.
    const day = chinaDay(now);
    const { account, order, usage, replayed, existing } = await lockSellerForReservation(em, tx, request, day);
    // A replayed activity: the payout is read whole only then.
    if (replayed) {
      const [already] = await tx.rows('select * from payouts where id = ?', [request.payoutId]);
      return { payout: asReserved(toPayoutView(rowOf(em, Payout, already))), lowBalance: undefined, topUpId: undefined };
    }
    // Another seller's order, or none, is not found, whatever this seller's account (the API does not read it first).
    if (!order) throw new DomainError('NOT_FOUND', `order ${request.orderId} not found`);
    if (!account) throw new DomainError('FEATURE_DISABLED', 'the payout tool is not enabled for this seller');
    const refusal = evaluatePayout(
      {
        account: { enabled: account.enabled, agreementSigned: account.agreementId !== null, limits: limitsOf(account), availableFen: account.availableFen },
        order: { orderId: order.orderId, status: order.status, paymentType: order.paymentType, cashPaid: order.cashPaidFen },
        usage,
        existing,
      },
      request.amountFen,
    );
    if (refusal) throw refusal;
    // SPEC §5 maker-checker: the policy in force when the money is held decides, under the seller's lock.
    const needsApproval = request.initiatedBy !== request.sellerId && account.approvalThresholdFen !== null && request.amountFen >= account.approvalThresholdFen;
    const payout: PayoutRow = {
      id: request.payoutId,
      sellerId: request.sellerId,
      buyerId: order.buyerId,
      orderId: order.orderId,
      amountFen: request.amountFen,
      reason: request.reason,
      note: request.note,
      initiatedBy: request.initiatedBy,
      chinaDay: day,
      createdAt: now,
      status: needsApproval ? 'PENDING_APPROVAL' : 'AWAITING_CONFIRMATION',
      expiresAt: needsApproval ? null : new Date(now.getTime() + confirmWindowMs),
      approvalExpiresAt: needsApproval ? new Date(now.getTime() + approvalWindowMs(confirmWindowMs)) : null,
      // The order's one payout is this one until it is cancelled.
      orderClaim: order.orderId,
      // The create's answer under its Idempotency-Key is this payout as reserved (createdAnswerOf).
      requestHash: request.idempotency?.requestHash ?? null,
      ...NOT_YET_DECIDED,
    };
    const view = toPayoutView(payout);
    // No payout under this id yet, so no hold either: the entry's unique key still refuses a second.
    const hold = { key: `hold:${payout.id}`, kind: 'HOLD' as const, amountFen: payout.amountFen, payoutId: payout.id, memo: PAYOUT_MEMO, at: now };
    const availableAfterFen = account.availableFen - payout.amountFen;
    // Recorded with the hold, so that a crash after the commit cannot lose the crossing.
    const crossing = holdCrosses(availableAfterFen, payout.amountFen, account) ? await crossingOf(em, tx.rows, account, hold.key, now) : undefined;
    // The buyer hears of a payout that awaits them at once (SPEC §5.2): its card is stored with the
    // hold (issue 18: its own INSERT, committed alone, was an fsync). One that awaits approval tells
    // the buyer nothing yet.
    const cards = sentCards && view.status === 'AWAITING_CONFIRMATION' ? cardsStatement(em, sentCards(view), now) : undefined;
    // Issue 18: the writes go in one packet (sendTogether) that ends in the COMMIT, so that the
    // seller's lock, taken by the locking read, is held over this one round trip after it (six
    // before the packets, then two: the packet and the COMMIT): a hot seller's reservations take it
    // in turn. Each write does its work or fails, which stops the packet before its COMMIT: the
    // payout's INSERT and the entry's take a new key; the account is the row this transaction holds
    // locked, so the hold's UPDATE finds it, and a balance short of the amount fails the table's
    // check (evaluatePayout has refused one already); the tally's upsert always writes; the card is
    // stored once, and so is a crossing (a new key, like the hold's). The day's usage is its tallies
    // (dayUsage, day-tallies.ts), which count the payout. INITIATED is the payout's own createdAt and
    // initiatedBy (timelineOf, queries.ts): no row.
    const [, balances, entry] = await tx.sendTogether([
      insertStatement(em, Payout, [payout]),
      balancesStatement(payout.sellerId, hold, { short: 'fails' }),
      entryStatement(payout.sellerId, hold),
      statusChangeStatement(payout, null, payout.status),
      ...(cards?.statement ? [cards.statement] : []),
      ...(crossing?.statements ?? []),
    ], { commit: true });
    // Committed: what the statements above cannot do is still checked, and said loudly.
    if (balances.affectedRows !== 1 || entry.affectedRows !== 1) throw new Error(`payout ${payout.id}: the hold of ${payout.amountFen} fen moved ${balances.affectedRows} account rows and wrote ${entry.affectedRows} entries`);
    return { payout: view, lowBalance: lowBalanceCrossing(availableAfterFen, payout.amountFen, account.lowBalanceThresholdFen), topUpId: crossing?.topUpId ?? null, storedCards: cards?.ids };
  });
}

/**
 * The day tally a payout the workflow holds counts in: its creation's China day, which reservePayout
 * sets from the same instant as its createdAt.
 */
function countedOf(view: PayoutView): Counted {
  return { sellerId: view.sellerId, chinaDay: chinaDay(new Date(view.createdAt)), amountFen: view.amount };
}

/** What the reservation reads with the seller's lock (lockSellerForReservation). */
interface UnderSellerLock {
  account: SellerAccount | null;
  /** The request's order, if it is this seller's. */
  order: Pick<Order, 'orderId' | 'buyerId' | 'status' | 'paymentType' | 'cashPaidFen'> | null;
  /** The day's usage: the day's tallies summed (day-tallies.ts `dayUsage`). */
  usage: DayUsage;
  /** Whether a payout with the request's id exists: the reservation is replayed. */
  replayed: boolean;
  /** The payout holding the order's claim, if one does. */
  existing: { id: string; status: PayoutStatus } | null;
}

/**
 * The seller's account under lock (as lockSellerAccount), with what the reservation decides on read
 * in the same statement (issue 18: four statements were one each): the order, if it is this
 * seller's, the day's usage, whether this payout exists already, and the payout holding the order's
 * claim (the `payouts_order_claim` unique key: one at most). Every subquery is correlated with the
 * locked row (`a.seller_id`), so that none is read before the lock is held: at READ COMMITTED a
 * statement's reads share one snapshot, taken at its first read, and MariaDB evaluates a subquery
 * that does not depend on the row before it reads the row (the concurrency test's daily amount saw
 * 6 payouts of 5 pass with the payout's and the claim's subqueries uncorrelated). Read after the
 * lock, they see every reservation that committed before it; they lock nothing, so the lock order
 * stays the account's alone. A payout and a claim are the seller's own (a payout id is made from
 * its principal, an order has one seller). A claim changes under the seller's lock (a reservation,
 * a release), and an order under the seller's too: an order update locks the order's seller after
 * the order (db/orders/orders.ts), so the order read here is the one any later update will see this
 * payout beside. No account, no row: and no payout either, since a payout is only ever reserved on
 * an account and accounts are never deleted; the order is then read alone, so that it still decides
 * a 404. Hand-written: the ORM does not put a subquery in a locking read's select list. The row is
 * mapped by `rowOf`, a plain object: nothing here is written through the ORM.
 */
async function lockSellerForReservation(em: EntityManager, tx: DirectTransaction, request: PayoutRequest, day: string): Promise<UnderSellerLock> {
  if (![request.sellerId, request.payoutId, request.orderId].every(isId)) throw new TypeError('lockSellerForReservation needs id strings');
  const claimOf = (column: string) => `(select p.${column} from payouts p where p.order_claim = ? and p.seller_id = a.seller_id)`;
  const orderOf = (column: string) => `(select o.${column} from orders o where o.order_id = ? and o.seller_id = a.seller_id)`;
  const [row] = await tx.rows(
    `select a.*, ${dayUsageColumns('a.seller_id')},
       exists (select 1 from payouts p where p.id = ? and p.seller_id = a.seller_id) as replayed,
       ${claimOf('id')} as claim_id, ${claimOf('status')} as claim_status,
       ${orderOf('buyer_id')} as order_buyer_id, ${orderOf('status')} as order_status,
       ${orderOf('payment_type')} as order_payment_type, ${orderOf('cash_paid_fen')} as order_cash_paid_fen
     from seller_accounts a where a.seller_id = ? for update`,
    [day, day, request.payoutId, request.orderId, request.orderId, request.orderId, request.orderId, request.orderId, request.orderId, request.sellerId],
  );
  const orderOfRow = ({ order_buyer_id, order_status, order_payment_type, order_cash_paid_fen }: Record<string, unknown>): UnderSellerLock['order'] =>
    order_status == null ? null : {
      orderId: request.orderId,
      buyerId: String(order_buyer_id),
      status: order_status as Order['status'],
      paymentType: order_payment_type as Order['paymentType'],
      cashPaidFen: toSafeInteger(order_cash_paid_fen),
    };
  if (!row) {
    // No account: the payout is refused, but another seller's order (or none) is still not found first.
    const [order] = await tx.rows(
      'select buyer_id as order_buyer_id, status as order_status, payment_type as order_payment_type, cash_paid_fen as order_cash_paid_fen from orders where order_id = ? and seller_id = ?',
      [request.orderId, request.sellerId],
    );
    return { account: null, order: order ? orderOfRow(order) : null, usage: { count: 0, amountFen: 0 }, replayed: false, existing: null };
  }
  const { usage_count, usage_fen, replayed, claim_id, claim_status, order_buyer_id, order_status, order_payment_type, order_cash_paid_fen, ...columns } = row;
  return {
    // Read from, never written through: the ledger's statements move its balances.
    account: rowOf(em, SellerAccount, columns),
    order: orderOfRow({ order_buyer_id, order_status, order_payment_type, order_cash_paid_fen }),
    usage: dayUsageOf({ usage_count, usage_fen }),
    replayed: Number(replayed) === 1,
    existing: claim_id === null ? null : { id: String(claim_id), status: claim_status as PayoutStatus },
  };
}

/**
 * A payout create's stored answer under its Idempotency-Key (SPEC §8), in one statement: the key's
 * row, which holds a refusal (or a claim from before issue 18, which the API completes), or else
 * the payout the key made (`payoutId`, which the key derives), reserved with the key's body hash
 * and answered as its reservation made it (asReserved), whatever happened to it since: the 201
 * the first attempt gave. Issue 18: the reservation stored that answer as a row of its own, an
 * INSERT in every create. Hand-written: two tables, one of them whole, in one read.
 */
export async function createdAnswerOf(em: EntityManager, key: IdempotencyKeyOf, payoutId: string): Promise<StoredAnswer | null> {
  if (!isId(payoutId)) throw new TypeError('createdAnswerOf needs a payout id string');
  const [row]: Record<string, unknown>[] = await em.execute(
    `select k.request_hash as key_request_hash, k.status_code as key_status_code, k.response_body as key_response_body, p.*
     from (select 1) as one
     left join idempotency_keys k on k.principal = ? and k.operation = ? and k.idem_key = ?
     left join payouts p on p.id = ? and p.request_hash is not null`,
    [key.principal, key.operation, key.idemKey, payoutId],
  );
  const { key_request_hash, key_status_code, key_response_body, ...columns } = row;
  if (key_request_hash !== null) {
    const body = typeof key_response_body === 'string' ? JSON.parse(key_response_body) : key_response_body;
    return { requestHash: String(key_request_hash), statusCode: key_status_code === null ? null : Number(key_status_code), responseBody: body };
  }
  if (columns.id === null) return null;
  const payout = rowOf(em, Payout, columns);
  return { requestHash: payout.requestHash!, statusCode: 201, responseBody: asReserved(toPayoutView(payout)) };
}

/**
 * The payout as its reservation made it, whatever the workflow recorded since. A replayed
 * reservation runs again when a workflow task times out after its local activities committed (their
 * markers never reached history): the retried task replays the decisions it had already taken from
 * this view, and each later step is safe to run twice. Answering the row as it stands instead
 * (say, CONFIRMED) would make the workflow drop the buyer's confirmation and end unpaid.
 */
function asReserved(view: PayoutView): PayoutView {
  const approval = view.approvalExpiresAt !== null;
  return {
    ...view,
    status: approval ? 'PENDING_APPROVAL' : 'AWAITING_CONFIRMATION',
    expiresAt: approval ? null : view.expiresAt,
    ...UNDECIDED,
  };
}

/** What a write needs to find a payout: its id, and its seller, whose row is locked first. */
export type PayoutRef = Pick<PayoutView, 'id' | 'sellerId'>;

async function loadForUpdate(tx: EntityManager, ref: PayoutRef) {
  const account = await lockSellerAccount(tx, ref.sellerId);
  // Locked, so that an order update marking this payout waits for the write or sees it.
  const payout = await tx.findOneOrFail(Payout, { id: ref.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!account || payout.sellerId !== ref.sellerId) throw new Error(`payout ${ref.id} has no seller account ${ref.sellerId}`);
  return { payout, account };
}

/**
 * A decision on a payout that waits in `waiting` (for its buyer, or for its approval): it loses to
 * an order change that came first (SPEC §5 "The edges"). The order is re-read inside this
 * transaction, under the same lock order as an order update (order, then payout), so the two never
 * both win. Refused, the payout keeps its status with its pending close reason set, and the
 * workflow cancels it; otherwise `decide` records the decision. A payout past `waiting` (a replay)
 * is answered as it is, after `replayed`.
 */
interface WaitingDecision {
  waiting: PayoutStatus;
  decide: (tx: EntityManager, payout: Payout) => Promise<void>;
  replayed?: (tx: EntityManager, payout: Payout) => Promise<void>;
}

async function decideBeforeOrderChange(em: EntityManager, payoutId: string, { waiting, decide, replayed }: WaitingDecision): Promise<PayoutView> {
  return em.transactional(async (tx) => {
    const order = await lockOrderOfPayout(tx, ormReader(tx), payoutId);
    const payout = await tx.findOneOrFail(Payout, { id: payoutId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (payout.status !== waiting) {
      await replayed?.(tx, payout);
      return toPayoutView(payout);
    }
    const orderChange = payout.pendingCloseReason ?? (order ? orderCloseReason({ status: order.status, cashPaid: order.cashPaidFen }, [payout]) : null);
    if (orderChange) payout.pendingCloseReason = orderChange;
    else await decide(tx, payout);
    return toPayoutView(payout);
  });
}

/**
 * The payout's order under a shared lock, found by the payout's id in the same statement (issue 18:
 * the read of the order's id before the transaction was a statement of its own). At READ
 * COMMITTED, every connection's level (db/orm.ts), the subquery is a consistent read that locks
 * nothing, so the lock order stays an order update's: the order, then the payout. The order is
 * read, never written through: a plain row (rowOf), not a managed entity.
 */
async function lockOrderOfPayout(em: EntityManager, read: RowReader, payoutId: string): Promise<Order | null> {
  if (!isId(payoutId)) throw new TypeError('lockOrderOfPayout needs a payout id string');
  // The query builder's text for this read, written once (issue 18: its compiling, and the managed
  // entity a flush then compares, were most of the confirmation's CPU after its round trips).
  const [row] = await read('select o.* from orders as o where o.order_id = (select p.order_id from payouts p where p.id = ?) lock in share mode', [payoutId]);
  return row ? rowOf(em, Order, row) : null;
}

/**
 * SPEC §5.4: the buyer's confirmation is recorded before the transfer starts, unless the order
 * changed first (decideBeforeOrderChange): the payout then stays `AWAITING_CONFIRMATION`.
 * `awaiting` is the payout as the workflow holds it, awaiting its buyer: the confirmation is then
 * first tried without reading the payout (confirmAwaiting).
 */
export async function markConfirmed(em: EntityManager, payoutId: string, actor: string, at: Date, awaiting?: PayoutView): Promise<PayoutView> {
  if (awaiting?.id === payoutId && awaiting.status === 'AWAITING_CONFIRMATION') {
    const confirmed = await confirmAwaiting(em, awaiting, actor, at);
    if (confirmed) return confirmed;
  }
  return decideBeforeOrderChange(em, payoutId, {
    waiting: 'AWAITING_CONFIRMATION',
    async decide(tx, payout) {
      payout.status = 'CONFIRMED';
      payout.confirmedAt = at;
      await recordConfirmer(tx, payout, actor, at);
      await countStatusChange(tx, payout, 'AWAITING_CONFIRMATION', 'CONFIRMED');
    },
    // A confirmation already recorded: its timeline row, when it needs one, is made sure of too (recordEvent writes it once).
    async replayed(tx, payout) {
      if (payout.status === 'CONFIRMED') await recordConfirmer(tx, payout, actor, payout.confirmedAt ?? at);
    },
  });
}

/**
 * The confirmation in the common case, in hand-written statements (issue 18: the payout's locking
 * read was a statement of its own): the order under its shared lock, as decideBeforeOrderChange
 * takes it, decides with the amount the workflow holds; then one UPDATE, on the payout's status
 * and no order change marked on it, both records the confirmation and tells that the payout was
 * still awaiting, sent with the tallies' statement in one packet. Null, having written nothing (the
 * tallies rolled back), when the order's state cancels the payout or the UPDATE finds the payout
 * otherwise (a replay, an order change marked): the full path then decides with the payout read
 * under lock.
 */
async function confirmAwaiting(em: EntityManager, awaiting: PayoutView, actor: string, at: Date): Promise<PayoutView | null> {
  try {
    // On the driver's connection, as the reservation (db/direct.ts): every statement here is hand-written.
    return await directTransaction(em, async (tx) => {
      const order = await lockOrderOfPayout(em, tx.rows, awaiting.id);
      const facts = { status: awaiting.status, amountFen: awaiting.amount };
      if (order && orderCloseReason({ status: order.status, cashPaid: order.cashPaidFen }, [facts])) return null;
      // Issue 18: one packet; an UPDATE that found the payout otherwise rolls the tally (and a
      // confirmer's row, recordConfirmer's) back.
      const [confirmed] = await tx.sendTogether([
        {
          sql: `update payouts set status = 'CONFIRMED', confirmed_at = ? where id = ? and status = 'AWAITING_CONFIRMATION' and pending_close_reason is null`,
          params: [at, awaiting.id],
        },
        statusChangeStatement(countedOf(awaiting), 'AWAITING_CONFIRMATION', 'CONFIRMED'),
        ...confirmerRow(awaiting, actor, at),
      ]);
      if (confirmed.affectedRows !== 1) throw new NotWritten();
      return { ...awaiting, status: 'CONFIRMED' as const, confirmedAt: at.toISOString() };
    });
  } catch (err) {
    if (err instanceof NotWritten) return null;
    throw err;
  }
}

/** A write found the payout otherwise than it was written for: its transaction rolls back, and the caller decides again from the payout. */
class NotWritten extends Error {}

/**
 * CONFIRMED on the timeline is the payout's confirmedAt, by its buyer (timelineOf, queries.ts), with
 * no row of its own (issue 18); the buyer is the one principal who may confirm (SPEC §5). Anyone
 * else who ever does is written down as a row, which the timeline shows instead.
 */
async function recordConfirmer(tx: EntityManager, payout: Pick<PayoutView, 'id' | 'buyerId'>, actor: string, at: Date): Promise<void> {
  for (const statement of confirmerRow(payout, actor, at)) await runStatement(tx, statement);
}

/** recordConfirmer's row as a statement for a packet: none for the buyer. */
function confirmerRow(payout: Pick<PayoutView, 'id' | 'buyerId'>, actor: string, at: Date): Statement[] {
  return actor === payout.buyerId ? [] : [eventStatement(payout.id, 'CONFIRMED', actor, at)];
}

/**
 * SPEC §5 maker-checker: the main account's approval starts the buyer's window (`expiresAt` from
 * now). Like a confirmation, it loses to an order change that came first: the payout then stays
 * `PENDING_APPROVAL`. Replayed after it was recorded, it returns the payout as it is.
 */
export function approvePayout(em: EntityManager, payoutId: string, actor: string, at: Date, confirmWindowMs: number): Promise<PayoutView> {
  return decideBeforeOrderChange(em, payoutId, {
    waiting: 'PENDING_APPROVAL',
    async decide(tx, payout) {
      payout.status = 'AWAITING_CONFIRMATION';
      payout.approvedAt = at;
      payout.expiresAt = new Date(at.getTime() + confirmWindowMs);
      await recordEvent(tx, payoutId, 'APPROVED', actor, at);
      await countStatusChange(tx, payout, 'PENDING_APPROVAL', 'AWAITING_CONFIRMATION');
    },
  });
}

/** Why a payout released with `status` closed, when no order change decided it. */
const CLOSE_REASON_OF: Record<ReleasedStatus, CloseReason> = {
  EXPIRED: 'CONFIRM_WINDOW_EXPIRED',
  DECLINED: 'BUYER_DECLINED',
  CANCELLED: 'SELLER_CANCELLED',
  FAILED: 'TRANSFER_REFUSED',
  REJECTED: 'APPROVAL_REJECTED',
};

/**
 * Voids the hold: the amount returns to available and the payout closes with `status` (and
 * `closeReason`, which `status` implies except for an approval that expired). An order change
 * recorded while the payout awaited its buyer or its approval decides instead (`CANCELLED` by the system,
 * with the order's close reason), whatever the workflow was about to do: a deadline, a decline or a
 * seller's cancel that came after the order change does not hide it. The outcome's cards
 * (`outcomeCards`) are stored with it, as a posting's are.
 */
export async function releasePayout(
  em: EntityManager, ref: PayoutRef, status: ReleasedStatus, actor: string | null, at: Date, closeReason: CloseReason = CLOSE_REASON_OF[status], outcomeCards?: CardsOf,
): Promise<WrittenPayout> {
  const payoutId = ref.id;
  return em.transactional(async (tx) => {
    const { payout, account } = await loadForUpdate(tx, ref);
    if (isTerminal(payout.status)) return toPayoutView(payout);
    const orderChange = ORDER_CANCELLABLE_STATUSES.includes(payout.status) ? payout.pendingCloseReason : null;
    const end = orderChange ? 'CANCELLED' : status;
    const before = payout.status;
    // Not terminal: neither released nor posted, since both set a terminal status with their movement.
    await move(tx, account, { key: `release:${payoutId}`, kind: 'RELEASE', amountFen: payout.amountFen, payoutId, memo: PAYOUT_MEMO, at, keyKnownUnused: true });
    payout.status = end;
    payout.closedAt = at;
    payout.closeReason = orderChange ?? closeReason;
    // SPEC §4.3: an end in which no money reached the buyer through no choice of theirs frees the order.
    if (freesOrder(end)) payout.orderClaim = null;
    await recordEvent(tx, payoutId, end, orderChange ? SYSTEM_ACTOR : actor, at);
    await countStatusChange(tx, payout, before, end);
    return withCards(tx, toPayoutView(payout), outcomeCards, at);
  });
}

/**
 * Posts the hold to the buyer after the provider moved the money: status `PAID`, and the outcome's
 * cards (`outcomeCards`) stored with it. `confirmed` is the payout as the workflow holds it, from
 * the confirmation. Issue 18, hand-written where the statement profile pointed: the seller's
 * balance UPDATE takes the seller's lock (balancesStatement; a locking read was a statement of its
 * own), one UPDATE of the payout's status (and, as a check, its amount) both records the posting
 * and tells whether it had happened, and the entry reads its balances from the row
 * (entryStatement); all of them, the tallies and the cards go in one packet (sendTogether). A
 * replay finds nothing to update, or the entry's key taken: the transaction rolls back, and the
 * payout is read as it stands.
 */
export async function postPayout(em: EntityManager, confirmed: PayoutView, at: Date, providerTransactionId: string | null, outcomeCards?: CardsOf): Promise<WrittenPayout> {
  const payoutId = confirmed.id;
  const movement = { key: `payout:${payoutId}`, kind: 'PAYOUT' as const, amountFen: confirmed.amount, payoutId, memo: PAYOUT_MEMO, at };
  const view: PayoutView = { ...confirmed, status: 'PAID', paidAt: at.toISOString(), closedAt: at.toISOString(), providerTransactionId };
  try {
    // On the driver's connection, as the reservation (db/direct.ts): every statement here is hand-written.
    return await directTransaction(em, async (tx) => {
      const cards = outcomeCards ? cardsStatement(em, outcomeCards(view), at) : undefined;
      // Issue 18: one packet, then the COMMIT.
      const [balances, posted, entry] = await tx.sendTogether([
        // Held covers every unposted hold, so only a posting that happened already finds it short.
        balancesStatement(confirmed.sellerId, movement),
        // Was CONFIRMED, not PAID: the posting, which sets PAID with its movement, had not happened.
        {
          sql: `update payouts set status = 'PAID', paid_at = ?, closed_at = ?, provider_transaction_id = ?
                where id = ? and seller_id = ? and amount_fen = ? and status = 'CONFIRMED'`,
          params: [at, at, providerTransactionId, payoutId, confirmed.sellerId, confirmed.amount],
        },
        entryStatement(confirmed.sellerId, movement),
        // PAID on the timeline is the payout's paidAt (timelineOf, queries.ts): no row.
        statusChangeStatement(countedOf(confirmed), 'CONFIRMED', 'PAID'),
        ...(cards?.statement ? [cards.statement] : []),
      ]);
      if (balances.affectedRows !== 1 || posted.affectedRows !== 1) throw new NotWritten();
      if (entry.affectedRows !== 1) throw new Error(`movement ${movement.key}: seller ${confirmed.sellerId} has no account`);
      return cards ? { ...view, storedCards: cards.ids } : view;
    });
  } catch (err) {
    // A posting that happened already: its entry's movement key is taken, whichever statement told first.
    if (!(err instanceof NotWritten) && !isDuplicateKey(err)) throw err;
  }
  // In a transaction of its own: the writes' ORM runs nothing outside one (db/beginless.ts).
  const payout = await em.fork().transactional((tx) => tx.findOneOrFail(Payout, { id: payoutId }));
  if (payout.status === 'PAID' && payout.sellerId === confirmed.sellerId) return toPayoutView(payout);
  throw new Error(`payout ${payoutId} is ${payout.status} for ${payout.amountFen} fen of seller ${payout.sellerId}, only a CONFIRMED payout of ${confirmed.amount} fen of seller ${confirmed.sellerId} is posted`);
}

/** A unique key refused a row: the server's error as the driver gives it, or as the ORM converted it. */
function isDuplicateKey(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException || (err as { code?: unknown } | null)?.code === 'ER_DUP_ENTRY';
}

/** The cards a payout's change tells of, made from the payout as the change leaves it. */
export type CardsOf = (view: PayoutView) => Card[];

/** A payout as a write left it, with the ids of the cards the write stored with it (none when it changed nothing). */
export type WrittenPayout = PayoutView & { storedCards?: string[] };

/**
 * The change's cards stored in its transaction, at its time (issue 18: their own INSERT, committed
 * alone, was an fsync per payout): the workflow then only delivers them.
 */
async function withCards(tx: EntityManager, view: PayoutView, cardsOf: CardsOf | undefined, at: Date): Promise<WrittenPayout> {
  if (!cardsOf) return view;
  return { ...view, storedCards: await storeCards(tx, cardsOf(view), at) };
}

/** Bound on the payouts one sweep re-tells about their order change. */
export const ORDER_CHANGE_SWEEP_MAX = 200;

/**
 * Payouts an order change cancels whose workflow may not have heard of it yet (the process that
 * committed the order died before it told the workflow): the sweep tells them again.
 */
export async function payoutsWithPendingOrderChange(em: EntityManager, limit = ORDER_CHANGE_SWEEP_MAX): Promise<{ id: string; pendingCloseReason: string }[]> {
  const rows = await em.find(Payout, { pendingCloseReason: { $ne: null }, status: { $in: ['PENDING_APPROVAL', 'AWAITING_CONFIRMATION'] } }, { fields: ['id', 'pendingCloseReason'], limit });
  return rows.map((p) => ({ id: p.id, pendingCloseReason: p.pendingCloseReason! }));
}
