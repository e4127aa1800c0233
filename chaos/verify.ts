/**
 * The end of a fault run: wait for every payout to end and every card to reach the receiver that
 * came back, then check what must hold whatever happened.
 *
 * Whether a confirmation was recorded after an order change is read from a trail the run keeps in
 * its own database: triggers append a row when an order is updated and when a payout becomes
 * CONFIRMED. An order update and a confirmation of the same order lock the order's row (exclusive
 * and shared), so the one that appends second committed second, and the trail's auto-increment
 * order is their commit order.
 */
import { Connection } from '@temporalio/client';
import { temporalClient } from '../codec/data-converter';
import { parsePayloadKeyring } from '../codec/keyring';
import type { Orm } from '../db/orm';
import { reconcileLedger } from '../db/audit/reconciliation';
import { sandboxStatement } from '../db/sandbox/statement';
import { tallyDisagreements } from '../db/payouts/day-tallies';
import { asId } from '../domain/id';
import type { Plan, Tracked } from './drive';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 1_000;
const LOG_EVERY_MS = 10_000;
/** Compared up to a moment past the run's end, so that every row counts whatever the clocks say. */
const SETTLED_MARGIN_MS = 60_000;

export async function installTrail(orm: Orm): Promise<void> {
  const connection = orm.em.getConnection();
  await connection.execute(`create table chaos_trail (
    seq bigint not null auto_increment primary key,
    kind varchar(16) not null,
    order_id varchar(64) not null,
    payout_id char(36) null,
    status varchar(24) null,
    cash_paid_fen bigint null
  ) engine=InnoDB collate utf8mb4_bin`);
  await connection.execute(`create trigger chaos_trail_orders after update on orders for each row
    insert into chaos_trail (kind, order_id, status, cash_paid_fen) values ('ORDER', NEW.order_id, NEW.status, NEW.cash_paid_fen)`);
  await connection.execute(`create trigger chaos_trail_confirmed after update on payouts for each row
    if NEW.status = 'CONFIRMED' and OLD.status <> 'CONFIRMED' then
      insert into chaos_trail (kind, order_id, payout_id, status) values ('CONFIRMED', NEW.order_id, NEW.id, NEW.status);
    end if`);
}

const inList = (values: string[]) => `(${values.map(() => '?').join(',')})`;

async function count(orm: Orm, sql: string, params: unknown[]): Promise<number> {
  const [row] = await orm.em.fork().getConnection().execute(sql, params).catch(() => [{ n: -1 }]);
  return Number(row.n);
}

async function until(what: string, check: () => Promise<number>, deadline: number, log: (line: string) => void): Promise<number> {
  let lastLog = Date.now();
  for (;;) {
    const left = await check();
    if (left === 0 || Date.now() >= deadline) return left;
    if (Date.now() - lastLog > LOG_EVERY_MS) {
      log(`chaos: ${left} ${what}`);
      lastLog = Date.now();
    }
    await sleep(POLL_MS);
  }
}

/**
 * Waits until no payout workflow of the run is still running (the database may say a payout ended
 * while its workflow is stuck: its cards then never go out); answers how many still run.
 */
export async function drainWorkflows(temporalAddress: string, taskQueue: string, deadline: number, log: (line: string) => void): Promise<number> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    // Counting reads no payload; the client is built as every client of ours is.
    const client = temporalClient(connection, 'default', parsePayloadKeyring(process.env.PAYLOAD_KEYS, process.env.PAYLOAD_KEY_ID));
    const query = `WorkflowType = "payoutWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "${taskQueue}"`;
    return await until('payout workflows still running', () => client.workflow.count(query).then((r) => r.count, () => -1), deadline, log);
  } finally {
    await connection.close();
  }
}

/** Waits until no payout of the run is open. */
export async function drainPayouts(orm: Orm, sellerIds: string[], deadline: number, log: (line: string) => void): Promise<void> {
  await until('payouts still open', () => count(orm, `select count(*) as n from payouts where seller_id in ${inList(sellerIds)} and status in ('PENDING_APPROVAL', 'AWAITING_CONFIRMATION', 'CONFIRMED')`, sellerIds), deadline, log);
}

/**
 * Waits until every ended payout's outcome cards are stored and every card of the run is
 * delivered; answers the cards still undelivered when the time is up.
 */
export async function drainCards(orm: Orm, sellerIds: string[], recipients: string[], deadline: number, log: (line: string) => void): Promise<number> {
  const outcomesMissing = () => count(orm, `select (select 2 * count(*) from payouts where seller_id in ${inList(sellerIds)})
      - (select count(*) from notifications where recipient_id in ${inList(recipients)} and dedupe_key like 'outcome:%') as n`, [...sellerIds, ...recipients]);
  const undelivered = () => count(orm, `select count(*) as n from notifications where recipient_id in ${inList(recipients)} and delivered_at is null`, recipients);
  await until('outcome cards not stored yet', outcomesMissing, deadline, log);
  return until('cards not delivered yet', undelivered, deadline, log);
}

const EXPECTED_END: Record<Plan, string[]> = { confirm: ['PAID', 'FAILED'], decline: ['DECLINED'], cancel: ['CANCELLED'], expire: ['EXPIRED'] };
const ORDER_CLOSE_REASONS = ['ORDER_CLOSED', 'ORDER_REFUNDED'];

interface Row {
  id: string;
  status: string;
  close_reason: string | null;
}

/**
 * SPEC §5: a decision is lost when it was answered 200 or 202 and the payout did not end as it
 * says, although no earlier decision, deadline or order change had decided it. The run sends one
 * decision per payout, so an earlier decision is never the cause; an order change is, when the
 * payout closed for it; the deadline is, when the decision reached the workflow after it. An
 * update answered 200 reached it before it answered; a 202's decision reached history when the
 * API handed it over (`receivedAt`), which on a loaded machine can be seconds after it was sent:
 * a decision sent before the deadline whose update found no worker in time lands after it.
 */
function isLost(t: Tracked, row: Row | undefined): boolean {
  if (!t.decision || ![200, 202].includes(t.decision.status)) return false;
  if (!row) return true;
  if (EXPECTED_END[t.plan].includes(row.status)) return false;
  if (t.orderChange && row.close_reason && ORDER_CLOSE_REASONS.includes(row.close_reason)) return false;
  const reachedAtMs = t.decision.receivedAtMs ?? t.decision.sentAtMs;
  return !(row.status === 'EXPIRED' && t.expiresAtMs !== null && reachedAtMs >= t.expiresAtMs);
}

/** Up to this many lost decisions and undelivered cards are named in the report, for the histories. */
const SAMPLES_MAX = 10;

/** The cards still undelivered, by id, kind and age, to look up in the histories. */
export async function undeliveredCardSamples(orm: Orm, recipients: string[]): Promise<string[]> {
  const rows = (await orm.em.fork().getConnection().execute(
    `select dedupe_key, kind, created_at from notifications where recipient_id in ${inList(recipients)} and delivered_at is null order by created_at limit ${SAMPLES_MAX}`,
    recipients,
  ).catch(() => [])) as { dedupe_key: string; kind: string; created_at: Date }[];
  return rows.map((r) => `${r.dedupe_key} (${r.kind}, stored ${new Date(r.created_at).toISOString()})`);
}

export async function verify(orm: Orm, sellerIds: string[], tracked: Tracked[]) {
  const em = orm.em.fork();
  const connection = em.getConnection();
  const inSellers = inList(sellerIds);
  const rows: Row[] = await connection.execute(`select id, status, close_reason from payouts where seller_id in ${inSellers}`, sellerIds);
  const rowOf = new Map(rows.map((r) => [r.id, r]));
  const statuses = countBy(rows.map((r) => r.status));
  const [doubles] = await connection.execute(
    `select count(*) as n from (select payout_id from ledger_entries where kind = 'PAYOUT' and seller_id in ${inSellers} group by payout_id having count(*) > 1) d`,
    sellerIds,
  );
  const [unpaid] = await connection.execute(
    `select count(*) as n from sandbox_transactions t join payouts p on t.idempotency_key = concat('payout:', p.id)
     where t.kind = 'TRANSFER' and t.status = 'SUCCEEDED' and p.status <> 'PAID' and p.seller_id in ${inSellers}`,
    sellerIds,
  );
  // PAID although an order update that cancels it (closed, or cash below the payout) committed
  // before its confirmation was recorded.
  const [paidAfterOrderClosed] = await connection.execute(
    `select count(distinct p.id) as n from payouts p
     join chaos_trail c on c.kind = 'CONFIRMED' and c.payout_id = p.id
     join chaos_trail o on o.kind = 'ORDER' and o.order_id = p.order_id and o.seq < c.seq and (o.status = 'CLOSED' or o.cash_paid_fen < p.amount_fen)
     where p.status = 'PAID' and p.seller_id in ${inSellers}`,
    sellerIds,
  );
  const lost = tracked.filter((t) => t.id && isLost(t, rowOf.get(t.id)));
  // Every check the daily reconciliation makes, over every kind of movement (the payouts', and the
  // recharges and withdrawals made beside them): once the run is over, nothing is in flight.
  const books = { statement: sandboxStatement.bind(null, em) };
  const { findings } = await reconcileLedger(em, books, { sellerIds, settledBefore: new Date(Date.now() + SETTLED_MARGIN_MS) });
  const plans = countBy(tracked.map((t) => t.plan));
  const changed = tracked.filter((t) => t.id && t.orderChange);
  return {
    created: tracked.filter((t) => t.id).length,
    /** Creates answered with anything but 201, by status and code (none expected: each payout has an order of its own and room in its seller's limits). */
    createsRefused: countBy(tracked.filter((t) => t.createRefused).map((t) => `${t.createRefused!.status} ${t.createRefused!.code}`)),
    terminal: rows.filter((r) => !['PENDING_APPROVAL', 'AWAITING_CONFIRMATION', 'CONFIRMED'].includes(r.status)).length,
    doubleTransfers: Number(doubles.n),
    moneyMovedWithoutPayout: Number(unpaid.n),
    paidAfterOrderClosed: Number(paidAfterOrderClosed.n),
    lostConfirmations: lost.filter((t) => t.plan === 'confirm').length,
    lostDecisions: lost.length,
    lostSamples: lost.slice(0, SAMPLES_MAX).map((t) => ({
      payoutId: t.id, plan: t.plan, answer: t.decision!.status, status: rowOf.get(t.id!)?.status ?? null, closeReason: rowOf.get(t.id!)?.close_reason ?? null,
      sentAt: new Date(t.decision!.sentAtMs).toISOString(), receivedAt: t.decision!.receivedAtMs === null ? null : new Date(t.decision!.receivedAtMs).toISOString(),
      expiresAt: t.expiresAtMs === null ? null : new Date(t.expiresAtMs).toISOString(),
    })),
    decisionsAcceptedWhileDown: tracked.filter((t) => t.decision?.status === 202 && t.decision.whileAllWorkersDown).length,
    decisionsAccepted202: tracked.filter((t) => t.decision?.status === 202).length,
    ledgerBalanced: !findings.some((f) => f.check !== 'PROVIDER_MATCHES_LEDGER'),
    providerMatchesLedger: !findings.some((f) => f.check === 'PROVIDER_MATCHES_LEDGER'),
    statuses,
    plans,
    orderChanges: {
      racingDecision: changed.filter((t) => t.racing).length,
      cancelledByOrder: changed.filter((t) => ORDER_CLOSE_REASONS.includes(rowOf.get(t.id!)?.close_reason ?? '')).length,
      // Confirmed before the order changed: the money was committed first, so the payout completes.
      paidFirst: changed.filter((t) => rowOf.get(t.id!)?.status === 'PAID').length,
    },
    problems: findings.slice(0, 20).map((f) => `${f.sellerId}: ${f.message}`),
    // The summary's day tallies, moved in the payouts' own transactions, still count every payout once.
    tallyDisagreements: await tallyDisagreements(em, sellerIds.map(asId)),
  };
}

function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
