/**
 * SPEC §7, auditing that outlives Temporal, on the real stack: a seller's closed workflows (payouts
 * paid, cancelled and refused, the recharge and a withdrawal) are archived by the sweep with their
 * full decoded history; once Temporal no
 * longer has a history, GET /v1/payouts/{id}/history answers the same from the archive; the
 * per-seller hash chain recomputes valid, and an archived record edited in SQL by the database's
 * root (who can drop the append-only triggers) is named as the first broken record. Many runs of
 * several sellers are appended in batches, a transaction per seller and batch; a run archived by another append
 * after the sweep listed it leaves its batch to be appended run by run.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { GENESIS_HASH, canonicalJson, recordHash } from '../../audit/chain';
import { decodeHistory } from '../../audit/decoded-history';
import { ArchivedWorkflow } from '../../db/audit/entities';
import { APPEND_BATCH_HISTORY_BYTES_MAX, APPEND_BATCH_RUNS_MAX, appendBatchToChain, appendToChain, verifyChain, type ClosedWorkflow } from '../../db/audit/archive';
import { openOrm, type Orm } from '../../db/orm';
import { systemClock } from '../../domain/time';
import { SELLER_ID_KEY } from '../../workflows/search-attributes';
import { ARCHIVE_APPEND_ONLY_TRIGGERS } from '../../db/migrations/Migration20261211000000_audit_archive';
import { archiveSweepWorkflow } from '../../workflows/archive-sweep';
import { closedSellerWorkflows, createArchiveActivities, type SweepScope } from '../../activities/archive-activities';
import { ensureArchiveSchedule } from '../../worker/archive-schedule';
import { startDevServer } from '../../worker/temporal-dev-server';
import { Connection } from '@temporalio/client';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let a: Market;
let paidId: string;
let cancelledId: string;

beforeAll(async () => {
  stack = await startStack();
  a = await openMarket(stack);
  paidId = (await a.createPayout({ orderId: await a.order(), amount: 2_500, note: '运费补差-archive' }).expect(201)).body.id;
  await stack.http.post(`/v1/payouts/${paidId}/confirm`).set(bearer(a.buyer)).expect(200);
  cancelledId = (await a.createPayout({ orderId: await a.order(), amount: 300 }).expect(201)).body.id;
  await stack.http.post(`/v1/payouts/${cancelledId}/cancel`).set(bearer(a.seller)).expect(200);
  // Refused (above half the cash paid): its workflow ends too, holding the refusal.
  await a.createPayout({ orderId: await a.order(), amount: 4_501 }).expect(422);
  // Recharges and withdrawals are the seller's workflows too (openMarket recharged).
  await stack.http.post('/v1/payout-account/withdrawals').set(bearer(a.seller)).set('Idempotency-Key', uniqueId('wd')).send({ amount: 100 }).expect(201);
  await Promise.all([paidId, cancelledId].map((id) => stack.client.workflow.getHandle(payoutWorkflowId(id)).result()));
});
afterAll(() => stack.stop());

/** A sweep of this file's seller only: the database and the Temporal server are shared with other test files. */
const sweep = (scope: SweepScope = { sellerIds: [a.sellerId] }) =>
  stack.client.workflow.execute(archiveSweepWorkflow, { taskQueue: stack.config.taskQueue, workflowId: uniqueId('archive-sweep'), args: [scope] });
const archivedOf = (sellerId: string) => stack.orm.em.fork().find(ArchivedWorkflow, { sellerId }, { orderBy: { seq: 'asc' }, populate: ['history'] });

/** The seller's workflows: the recharge, three payouts, the withdrawal. */
const SELLER_WORKFLOWS = 5;

/** Sweeps until the seller's workflows are archived (visibility lists a closed run shortly after it closes). */
async function sweepUntilArchived(sellerId: string, count: number): Promise<ArchivedWorkflow[]> {
  return eventually(async () => {
    await sweep();
    const records = await archivedOf(sellerId);
    return records.length >= count && records;
  }, 60_000, 500);
}

test('a closed payout is archived decoded; deleted from Temporal, its history is answered from the archive, the same', async () => {
  const fromTemporal = await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(a.auditor)).expect(200);
  expect(fromTemporal.body.source).toBe('temporal');
  const records = await sweepUntilArchived(a.sellerId, SELLER_WORKFLOWS);
  expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  expect(records.map((r) => r.workflowType).sort()).toEqual(['payoutWorkflow', 'payoutWorkflow', 'payoutWorkflow', 'rechargeWorkflow', 'withdrawalWorkflow']);
  expect(records.every((r) => r.status === 'COMPLETED')).toBe(true);
  const paid = records.find((r) => r.workflowId === payoutWorkflowId(paidId))!;
  // Decoded: the note and the buyer are readable in the record, and the close event is in it.
  expect(paid.history).toContain('运费补差-archive');
  expect(paid.history).toContain(a.buyerId);
  const events = JSON.parse(paid.history) as { eventType: string }[];
  expect(events[events.length - 1].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  expect(records.some((r) => r.history.includes('"status":"REFUSED"') && r.history.includes('AMOUNT_EXCEEDS_CASH_SHARE'))).toBe(true);

  await stack.client.workflowService.deleteWorkflowExecution({ namespace: stack.config.temporalNamespace, workflowExecution: { workflowId: payoutWorkflowId(paidId) } });
  // The server deletes asynchronously: about half a minute on the dev server.
  const fromArchive = await eventually(async () => {
    const res = await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(a.auditor)).expect(200);
    return res.body.source === 'archive' && res;
  }, 120_000, 1_000);
  expect({ ...fromArchive.body, source: 'temporal' }).toEqual(fromTemporal.body);
  // The seller reads it too; another seller still gets 404.
  await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(a.seller)).expect(200);
  const other = await stack.token(uniqueId('seller'), 'seller');
  await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(other)).expect(404);
}, 240_000);

test('sweeps are idempotent: run again, side by side, each run stays archived once', async () => {
  await sweepUntilArchived(a.sellerId, SELLER_WORKFLOWS);
  // The schedule's sweep (every seller, from the watermark) beside two scoped ones.
  const results = await Promise.all([sweep({}), sweep(), sweep()]);
  for (const result of results) expect(result).toMatchObject({ complete: true, failed: 0 });
  // The paid payout's run was deleted from Temporal above: listed, it is gone or already archived.
  expect(results[1]).toMatchObject({ archived: 0, failed: 0 });
  expect(results[1].alreadyArchived + results[1].gone).toBe(results[1].listed);
  const records = await archivedOf(a.sellerId);
  expect(records).toHaveLength(SELLER_WORKFLOWS);
  expect(new Set(records.map((r) => r.workflowId)).size).toBe(SELLER_WORKFLOWS);
  const first = records[0];
  const again = await appendToChain(stack.orm.em.fork(), { ...first, history: first.history }, new Date());
  expect(again).toBe('already archived');
  await expect(sweep({ sellerIds: ['a"b'] })).rejects.toThrow();
}, 300_000);

test('the chain recomputes valid; a record edited as root is named as the first broken one', async () => {
  const records = await sweepUntilArchived(a.sellerId, SELLER_WORKFLOWS);
  const chain = await stack.http.get('/v1/audit/chain').set(bearer(a.auditor)).query({ sellerId: a.sellerId }).expect(200);
  expect(chain.body).toEqual({ sellerId: a.sellerId, records: SELLER_WORKFLOWS, valid: true, firstBrokenRecord: null, complete: true });
  expect(records[0].previousHash).toBe(GENESIS_HASH);
  expect(records[1].previousHash).toBe(records[0].hash);
  expect(recordHash(records[2])).toBe(records[2].hash);

  const connection = stack.orm.em.fork().getConnection();
  // The service cannot change or remove a record: the database refuses.
  await expect(connection.execute('update workflow_archive set status = ? where id = ?', ['TERMINATED', records[1].id])).rejects.toThrow(/append-only/);
  await expect(connection.execute('delete from workflow_archive where id = ?', [records[1].id])).rejects.toThrow(/append-only/);
  // An attacker with root drops the triggers, edits a record, and puts the triggers back.
  await connection.execute('drop trigger workflow_archive_no_update');
  try {
    await connection.execute('update workflow_archive set history = replace(history, ?, ?) where id = ?', [a.sellerId, 'seller-forged', records[1].id]);
  } finally {
    await connection.execute(ARCHIVE_APPEND_ONLY_TRIGGERS[0]);
  }
  const broken = await stack.http.get('/v1/audit/chain').set(bearer(a.auditor)).query({ sellerId: a.sellerId }).expect(200);
  expect(broken.body).toEqual({
    sellerId: a.sellerId,
    records: 1,
    valid: false,
    firstBrokenRecord: { seq: 2, workflowId: records[1].workflowId, runId: records[1].runId, reason: 'HASH_MISMATCH' },
    complete: true,
  });
});

/**
 * Closed runs of a seller, cheaply: workflows that no worker ever runs, carrying the seller's
 * SellerId, terminated. The sweep archives any closed workflow that carries one.
 */
async function closedRuns(sellerId: string, count: number): Promise<{ workflowId: string; runId: string }[]> {
  const taskQueue = uniqueId('no-worker');
  return Promise.all(Array.from({ length: count }, async () => {
    const handle = await stack.client.workflow.start('archiveBatchProbe', {
      taskQueue, workflowId: uniqueId('archive-probe'), typedSearchAttributes: [{ key: SELLER_ID_KEY, value: sellerId }],
    });
    await handle.terminate('closed for the archive');
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }));
}

/** Waits until visibility lists these sellers' closed runs, all of them, so that one sweep finds them. */
async function listedClosed(sellerIds: string[], count: number): Promise<void> {
  await eventually(async () => (await stack.client.workflow.count(closedSellerWorkflows(null, sellerIds))).count >= count, 60_000, 500);
}

/** An ORM of the test's own, whose every statement is kept: the stack's worker shares the stack's. */
async function loggedOrm(): Promise<{ orm: Orm; statements: string[] }> {
  const orm = await openOrm(stack.config.databaseUrl);
  const statements: string[] = [];
  const logger = orm.config.getLogger();
  const logQuery = logger.logQuery.bind(logger);
  logger.logQuery = (context) => {
    statements.push((context.query ?? '').replace(/\s+/g, ' ').trim());
    logQuery(context);
  };
  return { orm, statements };
}

const matching = (statements: string[], re: RegExp) => statements.filter((sql) => re.test(sql)).length;

test('a sweep appends many runs of several sellers in a few transactions, each seller\'s chain valid', async () => {
  const [b, c] = [uniqueId('seller'), uniqueId('seller')];
  const RUNS_EACH = 40;
  // b's chain has a record already (its head exists); c's chain begins in the sweep.
  await appendToChain(stack.orm.em.fork(), {
    sellerId: b, workflowId: uniqueId('earlier'), runId: 'earlier-run', workflowType: 'archiveBatchProbe', status: 'COMPLETED',
    startedAt: new Date(), closedAt: new Date(), history: '[]',
  }, new Date());
  await Promise.all([closedRuns(b, RUNS_EACH), closedRuns(c, RUNS_EACH)]);
  await listedClosed([b, c], 2 * RUNS_EACH);
  const { orm, statements } = await loggedOrm();
  try {
    const result = await createArchiveActivities({ orm, client: stack.client, clock: systemClock }).archiveClosedWorkflows({ sellerIds: [b, c] });
    expect(result).toEqual({ listed: 2 * RUNS_EACH, archived: 2 * RUNS_EACH, alreadyArchived: 0, gone: 0, failed: 0, complete: true });
    // One transaction, one multi-row INSERT and one move of the head per batch: a seller's runs, 50 at most.
    const batches = 2 * Math.ceil(RUNS_EACH / APPEND_BATCH_RUNS_MAX);
    expect(matching(statements, /^commit/i)).toBe(batches);
    expect(matching(statements, /^insert into `workflow_archive`/i)).toBe(batches);
    expect(matching(statements, /^update `audit_chain_heads`/i)).toBe(batches);
    expect(statements.length).toBeLessThan((2 * RUNS_EACH) / 4);
  } finally {
    await orm.close();
  }
  expect(await verifyChain(stack.orm.em.fork(), b)).toMatchObject({ records: RUNS_EACH + 1, valid: true, complete: true });
  expect(await verifyChain(stack.orm.em.fork(), c)).toMatchObject({ records: RUNS_EACH, valid: true, complete: true });
}, 180_000);

/** The client, but reading the history of `runId` lets `meanwhile` run first: another sweep's append, say. */
function clientReading(runId: string, meanwhile: (history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>) => Promise<void>): Client {
  const getHandle = (workflowId: string, id?: string) => {
    const handle = stack.client.workflow.getHandle(workflowId, id);
    if (id !== runId) return handle;
    return { ...handle, fetchHistory: async () => {
      const history = await handle.fetchHistory();
      await meanwhile(history);
      return history;
    } };
  };
  return Object.create(stack.client, { workflow: { value: Object.create(stack.client.workflow, { getHandle: { value: getHandle } }) } }) as Client;
}

test('a run archived by another append after the sweep listed it is already archived; its batch\'s others are archived', async () => {
  const seller = uniqueId('seller');
  const runs = await closedRuns(seller, 5);
  await listedClosed([seller], runs.length);
  const taken = runs[2];
  const client = clientReading(taken.runId, async (history) => {
    const closed: ClosedWorkflow = {
      sellerId: seller, ...taken, workflowType: 'archiveBatchProbe', status: 'TERMINATED', startedAt: new Date(), closedAt: new Date(),
      history: canonicalJson(await decodeHistory(stack.client.options.loadedDataConverter, history.events ?? [])),
    };
    expect(await appendToChain(stack.orm.em.fork(), closed, new Date())).toBe('archived');
  });
  const { orm, statements } = await loggedOrm();
  try {
    const result = await createArchiveActivities({ orm, client, clock: systemClock }).archiveClosedWorkflows({ sellerIds: [seller] });
    expect(result).toEqual({ listed: 5, archived: 4, alreadyArchived: 1, gone: 0, failed: 0, complete: true });
    // The batch rolled back on the run's key; the five were then appended one by one.
    expect(matching(statements, /^rollback/i)).toBe(2);
    expect(matching(statements, /^commit/i)).toBe(4);
  } finally {
    await orm.close();
  }
  const records = await archivedOf(seller);
  expect(records.map((r) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
  expect(await verifyChain(stack.orm.em.fork(), seller)).toMatchObject({ records: 5, valid: true, complete: true });
}, 120_000);

test('a batch over its bounds, or of two sellers, is refused before it reaches the database', async () => {
  const run = (i: number, history = '[]'): ClosedWorkflow => ({
    sellerId: 'seller-bounds', workflowId: `bounds-${i}`, runId: 'run', workflowType: 'archiveBatchProbe', status: 'COMPLETED',
    startedAt: new Date(), closedAt: new Date(), history,
  });
  const many = Array.from({ length: APPEND_BATCH_RUNS_MAX + 1 }, (_, i) => run(i));
  await expect(appendBatchToChain(stack.orm.em.fork(), many, new Date())).rejects.toThrow(`at most ${APPEND_BATCH_RUNS_MAX} runs`);
  const half = `["${'x'.repeat(APPEND_BATCH_HISTORY_BYTES_MAX / 2)}"]`;
  await expect(appendBatchToChain(stack.orm.em.fork(), [run(1, half), run(2, half)], new Date())).rejects.toThrow(/bytes of history/);
  await expect(appendBatchToChain(stack.orm.em.fork(), [run(1), { ...run(2), sellerId: 'seller-bounds-2' }], new Date())).rejects.toThrow(/one seller/);
  expect(await stack.orm.em.fork().count(ArchivedWorkflow, { sellerId: 'seller-bounds' })).toBe(0);
});

test('the chain is the auditor\'s: others are refused, a seller without records has an empty valid chain, bad ids are 400', async () => {
  await stack.http.get('/v1/audit/chain').set(bearer(a.seller)).query({ sellerId: a.sellerId }).expect(403);
  await stack.http.get('/v1/audit/chain').set(bearer(a.buyer)).query({ sellerId: a.sellerId }).expect(403);
  await stack.http.get('/v1/audit/chain').query({ sellerId: a.sellerId }).expect(401);
  const empty = await stack.http.get('/v1/audit/chain').set(bearer(a.auditor)).query({ sellerId: uniqueId('nobody') }).expect(200);
  expect(empty.body).toMatchObject({ records: 0, valid: true, firstBrokenRecord: null });
  await stack.http.get('/v1/audit/chain').set(bearer(a.auditor)).expect(400);
  await stack.http.get('/v1/audit/chain').set(bearer(a.auditor)).query({ sellerId: 'not an id' }).expect(400);
});

test('the sweep\'s schedule is ensured idempotently', async () => {
  const scheduleId = uniqueId('archive-schedule');
  try {
    expect(await ensureArchiveSchedule(stack.client, stack.config.taskQueue, scheduleId)).toBe('created');
    expect(await ensureArchiveSchedule(stack.client, stack.config.taskQueue, scheduleId)).toBe('updated');
    const described = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'archiveSweepWorkflow', taskQueue: stack.config.taskQueue });
    expect(described.policies.overlap).toBe('SKIP');
  } finally {
    await stack.client.schedule.getHandle(scheduleId).delete();
  }
});

test('a dev server started with a retention keeps closed workflows that long (npm start: 30 days)', async () => {
  const server = await startDevServer({ retention: '30 days' });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      const described = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 24 * 3600);
    } finally {
      await connection.close();
    }
  } finally {
    await server.stop();
  }
});
