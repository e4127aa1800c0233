/**
 * SPEC §7 reconciliation on the real stack: the workflow, run once by hand on the test task queue
 * and scoped to this file's sellers (the database is shared with other test files), finds a
 * deliberately corrupted balance and a transfer missing from the provider's books, stores a
 * report that auditors page through, and sends finance a card; the daily schedule is ensured
 * idempotently.
 */
import { Notification } from '../../db/notifications/entities';
import { SandboxTransaction } from '../../db/sandbox/entities';
import { checkInvariants, findLedgerDisagreements } from '../../db/ledger/invariants';
import { PROVIDER_PAIRS, compareProviderBooks, type ProviderBooks } from '../../db/audit/provider-books';
import { systemClock } from '../../domain/time';
import type { StatementLine } from '../../domain/provider-statement';
import { SandboxProvider } from '../../provider/sandbox';
import { ensureReconciliationSchedule } from '../../worker/reconciliation-schedule';
import { reconciliationWorkflow, type ReconciliationInput } from '../../workflows/reconciliation';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

function reconcile(input: ReconciliationInput) {
  return stack.client.workflow.execute(reconciliationWorkflow, { taskQueue: stack.config.taskQueue, workflowId: uniqueId('reconciliation'), args: [input] });
}

interface Finding { check: string; sellerId: string; movementKey: string | null; message: string }

async function reportOf(reportId: string, auditor: string) {
  const res = await stack.http.get('/v1/reconciliations').set(bearer(auditor)).query({ limit: 100 }).expect(200);
  return res.body.items.find((r: { id: string }) => r.id === reportId) as { ok: boolean; findingsCount: number; findings: Finding[]; sellerIds: string[] | null; complete: boolean };
}

const financeCard = (reportId: string) => stack.orm.em.fork().findOne(Notification, { dedupeKey: `reconciliation:${reportId}` });

/** A seller with a recharge, a paid payout, a declined one and a withdrawal: every kind of movement. */
async function busySeller(): Promise<{ market: Market; paidId: string }> {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const paid = await market.createPayout({ orderId: await market.order(), amount: 1_500 }).expect(201);
  const declined = await market.createPayout({ orderId: await market.order(), amount: 700 }).expect(201);
  await stack.http.post(`/v1/payouts/${paid.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
  await stack.http.post(`/v1/payouts/${declined.body.id}/decline`).set(bearer(market.buyer)).expect(200);
  await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', uniqueId('wd')).send({ amount: 1_000 }).expect(201);
  await eventually(async () => (await stack.http.get(`/v1/payouts/${paid.body.id}`).set(bearer(market.seller))).body.status === 'PAID');
  return { market, paidId: paid.body.id };
}

test('a clean ledger reconciles: a report without findings, and no card', async () => {
  const { market } = await busySeller();
  const result = await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 });
  expect(result).toMatchObject({ ok: true, sellersChecked: 1, findingsCount: 0 });
  expect(await reportOf(result.reportId, market.auditor)).toMatchObject({ ok: true, complete: true, findings: [], sellerIds: [market.sellerId] });
  expect(await financeCard(result.reportId)).toBeNull();
  // Unscoped, the daily run walks every seller in batches.
  const everyone = await reconcile({ settleGraceMs: 0 });
  expect(everyone.sellersChecked).toBeGreaterThanOrEqual(1);
  expect((await reportOf(everyone.reportId, market.auditor)).complete).toBe(true);
  await expect(reconcile({ sellerIds: [] })).rejects.toThrow();
});

test('a corrupted balance is found, reported and sent to finance; repaired, the next run is clean', async () => {
  const { market } = await busySeller();
  const connection = stack.orm.em.fork().getConnection();
  await connection.execute('update seller_accounts set available_fen = available_fen + 1 where seller_id = ?', [market.sellerId]);
  try {
    const result = await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 });
    expect(result).toMatchObject({ ok: false, findingsCount: 2 });
    const report = await reportOf(result.reportId, market.auditor);
    expect(report.findings.map((f) => [f.check, f.sellerId])).toEqual([
      ['BALANCE_MATCHES_ENTRIES', market.sellerId],
      ['RECHARGES_ACCOUNTED', market.sellerId],
    ]);
    expect(report.findings[0].message).toBe('available 7501 but entries say 7500');
    // The tests' own invariant check (db/ledger/invariants.ts) sees the same.
    expect(await checkInvariants(stack.orm.em.fork(), [market.sellerId])).toMatchObject({ ledgerBalanced: false, providerMatchesLedger: true, problems: [expect.any(String), expect.any(String)] });
    const card = await financeCard(result.reportId);
    expect(card).toMatchObject({ recipientId: 'finance', recipientRole: 'auditor', kind: 'RECONCILIATION_MISMATCH' });
    expect(card!.payload).toMatchObject({ reportId: result.reportId, findingsCount: 2, sellerIds: [market.sellerId], byCheck: { BALANCE_MATCHES_ENTRIES: 1, RECHARGES_ACCOUNTED: 1 } });
  } finally {
    await connection.execute('update seller_accounts set available_fen = available_fen - 1 where seller_id = ?', [market.sellerId]);
  }
  expect(await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 })).toMatchObject({ ok: true, findingsCount: 0 });
  expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
});

test('a transfer missing from the provider\'s books is found once it is past the settling grace', async () => {
  const { market, paidId } = await busySeller();
  const em = stack.orm.em.fork();
  const transfer = await em.findOneOrFail(SandboxTransaction, { idempotencyKey: `payout:${paidId}` });
  await em.nativeDelete(SandboxTransaction, { idempotencyKey: transfer.idempotencyKey });
  try {
    // Younger than the default grace: possibly in flight, so left for the next run.
    expect(await reconcile({ sellerIds: [market.sellerId] })).toMatchObject({ ok: true });
    const result = await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 });
    expect(result).toMatchObject({ ok: false, findingsCount: 1 });
    expect((await reportOf(result.reportId, market.auditor)).findings).toEqual([{
      check: 'PROVIDER_MATCHES_LEDGER',
      sellerId: market.sellerId,
      movementKey: `payout:${paidId}`,
      message: `provider/ledger mismatch on payout:${paidId}: ledger 1500, provider null (TRANSFER)`,
    }]);
    expect(await financeCard(result.reportId)).not.toBeNull();
    expect(await checkInvariants(stack.orm.em.fork(), [market.sellerId])).toMatchObject({ ledgerBalanced: true, providerMatchesLedger: false });
  } finally {
    const t = transfer;
    await stack.orm.em.fork().insert(SandboxTransaction, { ...t, id: undefined });
  }
  expect(await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 })).toMatchObject({ ok: true });
});

test('the provider\'s books are read through the port\'s statement, page by page, so any provider behind it is compared alike', async () => {
  const { market, paidId } = await busySeller();
  const sandbox = new SandboxProvider(stack.orm, systemClock);
  const lines: StatementLine[] = [];
  for (let cursor: string | null = null, page = 0; page < 20; page++) {
    const read = await sandbox.statement({ sellerId: market.sellerId, cursor, limit: 1 });
    lines.push(...read.lines);
    if (read.nextCursor === null) break;
    cursor = read.nextCursor;
  }
  // The transfer and the withdrawal race (the workflow pays while the test withdraws): no order between them.
  expect(lines.map((l) => `${l.kind} ${l.status} ${l.sellerId}`).sort()).toEqual(['PAYBACK', 'TRANSFER', 'WITHHOLD'].map((kind) => `${kind} SUCCEEDED ${market.sellerId}`));
  expect(lines.find((l) => l.kind === 'TRANSFER')).toMatchObject({ key: `payout:${paidId}`, amountFen: 1_500, at: expect.any(Date) });
  const pairs = Object.values(PROVIDER_PAIRS);
  const compare = (books: ProviderBooks) => compareProviderBooks(stack.orm.em.fork(), books, market.sellerId, pairs);
  expect(await compare(sandbox)).toEqual({ findings: [], complete: true });
  // Another provider, whose books lack the transfer and hold a withholding the ledger does not know.
  const stranger: StatementLine = { key: 'recharge:unknown', sellerId: market.sellerId, kind: 'WITHHOLD', amountFen: 42, status: 'SUCCEEDED', at: new Date(0) };
  const other: ProviderBooks = { statement: async () => ({ lines: [...lines.filter((l) => l.kind !== 'TRANSFER'), stranger], nextCursor: null }) };
  expect((await compare(other)).findings.map((f) => f.message)).toEqual([
    `provider/ledger mismatch on payout:${paidId}: ledger 1500, provider null (TRANSFER)`,
    'provider/ledger mismatch on recharge:unknown: ledger null, provider 42 (WITHHOLD)',
  ]);
  // A provider whose statement never ends is read up to the bound, and the comparison says it is incomplete.
  const endless: ProviderBooks = { statement: async () => ({ lines: [], nextCursor: 'again' }) };
  expect(await compare(endless)).toEqual({ findings: [], complete: false });
});

test('an entry on the wrong accounts and a hold without its payout are named by their checks', async () => {
  const market = await openMarket(stack, { reserveFen: 1_000 });
  const declined = await market.createPayout({ orderId: await market.order(), amount: 300 }).expect(201);
  await stack.http.post(`/v1/payouts/${declined.body.id}/decline`).set(bearer(market.buyer)).expect(200);
  const connection = stack.orm.em.fork().getConnection();
  const checksFound = async () => (await findLedgerDisagreements(stack.orm.em.fork(), [market.sellerId])).map((f) => [f.check, f.movementKey]);
  const holdKey = `hold:${declined.body.id}`;
  await connection.execute("update ledger_entries set debit_account = 'platform:funding' where movement_key = ?", [holdKey]);
  try {
    expect(await checksFound()).toEqual(expect.arrayContaining([['ENTRY_ACCOUNTS_MATCH_KIND', holdKey]]));
  } finally {
    await connection.execute('update ledger_entries set debit_account = concat(\'seller:\', seller_id, \':available\') where movement_key = ?', [holdKey]);
  }
  await connection.execute("update payouts set status = 'AWAITING_CONFIRMATION' where id = ?", [declined.body.id]);
  try {
    expect(await checksFound()).toEqual([['HELD_MATCHES_PAYOUTS', null]]);
  } finally {
    await connection.execute("update payouts set status = 'DECLINED' where id = ?", [declined.body.id]);
  }
  expect(await checksFound()).toEqual([]);
});

test('auditors page through the reports, newest first; no one else reads them', async () => {
  const market = await openMarket(stack, { reserveFen: 100 });
  const first = await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 });
  const second = await reconcile({ sellerIds: [market.sellerId], settleGraceMs: 0 });
  const page1 = await stack.http.get('/v1/reconciliations').set(bearer(market.auditor)).query({ limit: 1 }).expect(200);
  expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([second.reportId]);
  const page2 = await stack.http.get('/v1/reconciliations').set(bearer(market.auditor)).query({ limit: 1, cursor: page1.body.nextCursor }).expect(200);
  expect(page2.body.items.map((r: { id: string }) => r.id)).toEqual([first.reportId]);
  expect(page2.body.nextCursor).not.toBeNull();
  await stack.http.get('/v1/reconciliations').set(bearer(market.seller)).expect(403);
  await stack.http.get('/v1/reconciliations').set(bearer(market.buyer)).expect(403);
});

test('the daily schedule is created once, then updated in place, keeping an operator\'s pause', async () => {
  const scheduleId = uniqueId('reconciliation-schedule');
  try {
    expect(await ensureReconciliationSchedule(stack.client, stack.config.taskQueue, scheduleId)).toBe('created');
    const handle = stack.client.schedule.getHandle(scheduleId);
    await handle.pause('maintenance');
    expect(await ensureReconciliationSchedule(stack.client, stack.config.taskQueue, scheduleId)).toBe('updated');
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] })]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue: stack.config.taskQueue });
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.state.paused).toBe(true);
  } finally {
    await stack.client.schedule.getHandle(scheduleId).delete();
  }
});
