/**
 * Issue 18: what one paid payout costs the database, statement by statement, on the real stack
 * (the API and the worker in this process share one ORM, whose query log this reads). A payout is
 * driven the way the benchmark drives it — create with an Idempotency-Key, the buyer's confirm,
 * the workflow to its end, the archive sweep — with the benchmark's status reads left out, and
 * the statements of each step are counted, BEGIN and COMMIT included. A committing transaction is
 * what costs an fsync (innodb_flush_log_at_trx_commit=1); a read alone commits nothing.
 *
 * `STATEMENT_PROFILE=1` prints every statement by step.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { createArchiveActivities } from '../../activities/archive-activities';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { temporalClient } from '../../codec/data-converter';
import { Notification } from '../../db/notifications/entities';
import { systemClock } from '../../domain/time';
import { bearer, openMarket } from '../support/scenario';
import { eventually, startStack, type Stack } from '../support/stack';

/**
 * What a paid payout costs today, as a bound that only moves down. Issue 18 asks for at most 20
 * statements and 5 fsyncs; the step structure (a transaction per step, each activity safe to run
 * twice, a timeline row per moment) does not get there without the changes its report lists.
 */
const BUDGET = {
  // 38 and 42 before the summary's day tallies, which move in the reservation's, the confirmation's
  // and the posting's transactions: one statement each, no commit (db/payouts/day-tallies.ts).
  // The archive's batches (a transaction per seller and 50 runs) leave the archive step at 6
  // statements and 1 commit here, as before: this sweep archives the one payout alone. A sweep of 80
  // runs of two sellers costs 15 statements and 2 commits in all (test/integration/archive.test.ts).
  // The create's answer stored in the reservation's transaction (api/idempotency.ts): 2 commits fewer,
  // the key read instead of claimed and its answer an INSERT in the transaction instead of an UPDATE
  // after it, so as many statements. INITIATED, CONFIRMED and PAID read from the payout's own
  // columns (timelineOf, db/payouts/queries.ts): 3 INSERTs fewer. The day's usage read with the
  // seller's lock from the day tallies, which the reservation writes anyway (dayUsage): its read and
  // its write, 2 statements fewer. NOTIFIED read from the buyer's card: its INSERT, a commit. The
  // payout and the order's claim read with the seller's lock too (lockSellerForReservation): a
  // statement. The API's read of the order (the reservation reads it): a statement. The order read
  // with the seller's lock too (order updates lock the seller): a statement. The buyer's card stored
  // with the hold, and the outcome's with the posting: 2 commits. The posting's and the
  // confirmation's locking reads, folded into their UPDATEs: 2 statements. Counted here, beside the
  // product's: the sandbox provider's transfer (its INSERT, a commit), which the benchmark leaves out.
  // The API's read of the payout before the buyer's confirm (the workflow's validator checks the
  // party): a statement. The reservation's, the confirmation's and the posting's transactions on
  // the writes' ORM, whose sessions run with autocommit off and send no BEGIN (openBeginlessOrm,
  // db/orm.ts): 3 statements. The create's answer under its key read from the payout the key made,
  // which keeps the body's hash (createdAnswerOf, db/payouts/payouts.ts), with the key's row in the
  // same read: the reservation's INSERT of the answer, a statement. Plus STATEMENTS_SLACK below.
  // Round trips: each statement was one until the reservation's, the confirmation's and the
  // posting's writes went in one packet each (sendTogether, db/beginless.ts): 4, 1 and 4 fewer. The
  // reservation's COMMIT at the end of its packet (a hot seller's lock held a round trip shorter): 1.
  withoutWebhook: { statements: 25, roundTrips: 15, commits: 5 },
  withWebhook: { statements: 29, roundTrips: 19, commits: 7 },
};
/**
 * One run in a clean-clone CI counted 42 and 46 statements where the others counted 41 and 45, with
 * the same commits: a read more in some step, which I have not pinned down (a retried step, a
 * replayed local activity). The bound allows that; a lasting gain beyond it still fails here, and the
 * profile (STATEMENT_PROFILE=1) shows each step's count.
 */
const STATEMENTS_SLACK = 2;

type Step = 'create' | 'announce sent' | 'confirm' | 'transfer, post, outcome' | 'archive';

interface Logged {
  step: Step;
  sql: string;
  /** Sent by the writes' ORM: inside a transaction that began without a BEGIN. */
  beginless: boolean;
  /** Sent in the same packet as the statement before it (sendTogether): no round trip of its own. */
  together: boolean;
}

/**
 * Statements that are not the payout's: the worker's order-change sweep runs every 3 s whatever
 * happens, the test's own wait for the buyer's card counts cards (the product never does), and an
 * ORM asks the server's auto_increment_increment once, at its first insert (MikroORM's
 * MySqlDriver), which on the writes' ORM of a fresh stack is this payout's reservation.
 */
const NOT_THE_PAYOUT = [/pending_close_reason` is not null/i, /^select count\(\*\) as `count` from `notifications`/i, /^show variables like 'auto_increment_increment'/i];

/**
 * A statement that writes: a transaction's COMMIT, or a write outside one (autocommit). On the
 * writes' ORM every statement is inside a transaction, and only its COMMITs commit.
 */
function commits(logged: Logged[]): number {
  let n = 0;
  let inTransaction = false;
  for (const { sql, beginless } of logged) {
    if (beginless) n += /^commit/i.test(sql) ? 1 : 0;
    else if (/^begin/i.test(sql)) inTransaction = true;
    else if (/^commit/i.test(sql)) {
      inTransaction = false;
      n++;
    } else if (/^rollback/i.test(sql)) inTransaction = false;
    else if (!inTransaction && /^(insert|update|delete)/i.test(sql)) n++;
  }
  return n;
}

/** A receiver that takes every card: the webhook's delivery costs statements too. */
function startReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cards`,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  })));
}

async function profilePaidPayout(stack: Stack): Promise<Logged[]> {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const orderId = await market.order();
  const log: Logged[] = [];
  let step: Step | null = null;
  const record = (query: string | undefined, beginless: boolean) => {
    const sql = (query ?? '').replace(/\s+/g, ' ').trim();
    // A packet of statements (db/beginless.ts sendTogether) is one round trip, and each of its statements counts, its COMMIT too.
    const statements = sql.split(/;\s*(?=(?:insert|update|delete|select|commit)\b)/i);
    if (step && !NOT_THE_PAYOUT.some((re) => re.test(sql))) {
      log.push(...statements.map((one, i) => ({ step: step!, sql: one, beginless, together: i > 0 })));
    }
  };
  // The process's main ORM by its query log.
  const logger = stack.orm.config.getLogger();
  const logQuery = logger.logQuery.bind(logger);
  logger.logQuery = (context) => {
    record(context.query, false);
    logQuery(context);
  };
  // The worker's ORM of the payout's writes by what knex sends (openBeginlessOrm, db/orm.ts): its
  // transactions send no BEGIN, and none whose packet ended in the COMMIT sends another, though the
  // ORM's log says it commits each.
  const knex = stack.writes!.em.getKnex();
  const onWire = (query: { sql: string }) => record(query.sql, true);
  knex.on('query', onWire);
  const archive = createArchiveActivities({
    orm: stack.orm,
    client: temporalClient(await Connection.connect({ address: stack.config.temporalAddress! }), stack.config.temporalNamespace, stack.config.payloadKeys),
    clock: systemClock,
  });
  // Archive the seller's recharge first, so that the sweep of the payout archives it alone.
  await eventually(async () => {
    const result = await archive.archiveClosedWorkflows({ sellerIds: [market.sellerId] });
    return result.archived + result.alreadyArchived >= 1;
  }, 30_000, 200);
  try {
    step = 'create';
    const created = await market.createPayout({ orderId, amount: 1_000 }, { 'Idempotency-Key': `profile-${orderId}` }).expect(201);
    const id: string = created.body.id;
    step = 'announce sent';
    // The test's own reads are not logged: the announcement's activity is what is counted.
    await eventually(() => stack.orm.em.fork().count(Notification, { dedupeKey: `sent:${id}` }), 10_000, 20);
    // The announcement delivers after it stores the card: wait for its activity to finish.
    await new Promise((resolve) => setTimeout(resolve, 500));
    step = 'confirm';
    await stack.http.post(`/v1/payouts/${id}/confirm`).set(bearer(market.buyer)).expect(200);
    step = 'transfer, post, outcome';
    await stack.client.workflow.getHandle(payoutWorkflowId(id)).result();
    step = null;
    // Only the sweep that archived the payout counts: visibility lists a closed run a little later.
    const swept = await eventually(async () => {
      const before = log.length;
      step = 'archive';
      const result = await archive.archiveClosedWorkflows({ sellerIds: [market.sellerId] });
      step = null;
      if (result.archived === 1) return result;
      log.length = before;
      return undefined;
    }, 30_000, 200);
    expect(swept.archived).toBe(1);
  } finally {
    step = null;
    logger.logQuery = logQuery;
    knex.off('query', onWire);
  }
  return log;
}

function report(log: Logged[]): Record<string, { statements: number; roundTrips: number; commits: number }> {
  const steps = [...new Set(log.map((l) => l.step))];
  const table = Object.fromEntries(steps.map((s) => {
    const logged = log.filter((l) => l.step === s);
    return [s, { statements: logged.length, roundTrips: logged.filter((l) => !l.together).length, commits: commits(logged) }];
  }));
  if (process.env.STATEMENT_PROFILE) {
    const lines = log.map((l) => `${l.step.padEnd(24)} ${l.together ? '  + ' : ''}${l.beginless ? '(beginless) ' : ''}${l.sql.slice(0, 220)}`);
    process.stdout.write(`\n${lines.join('\n')}\n${JSON.stringify(table, null, 1)}\n`);
  }
  return table;
}

describe.each([
  ['without a webhook (as the benchmark runs)', false, BUDGET.withoutWebhook],
  ['with a webhook that takes every card', true, BUDGET.withWebhook],
])('one paid payout, %s', (_name, withWebhook, budget) => {
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  beforeAll(async () => {
    receiver = withWebhook ? await startReceiver() : undefined;
    stack = await startStack(receiver ? { webhook: { url: receiver.url, secret: 'statement-budget-secret' } } : {});
  });
  afterAll(async () => {
    await stack.stop();
    await receiver?.close();
  });

  test(`costs at most ${budget.statements} statements in ${budget.roundTrips} round trips, and ${budget.commits} commits`, async () => {
    const table = report(await profilePaidPayout(stack));
    const total = Object.values(table).reduce(
      (sum, s) => ({ statements: sum.statements + s.statements, roundTrips: sum.roundTrips + s.roundTrips, commits: sum.commits + s.commits }),
      { statements: 0, roundTrips: 0, commits: 0 },
    );
    expect(total.statements).toBeLessThanOrEqual(budget.statements + STATEMENTS_SLACK);
    expect(total.roundTrips).toBeLessThanOrEqual(budget.roundTrips + STATEMENTS_SLACK);
    expect(total.commits).toBeLessThanOrEqual(budget.commits);
  });
});
