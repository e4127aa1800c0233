/**
 * SPEC §8, the auditor's own views on the real stack: any seller's account, a reconciliation
 * started now over HTTP (202, then its report), and the cards addressed to the auditor role.
 */
import { reconciliationWorkflow } from '../../workflows/reconciliation';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let a: Market;

beforeAll(async () => {
  stack = await startStack();
  a = await openMarket(stack, { reserveFen: 5_000 });
});
afterAll(() => stack.stop());

test('an auditor reads any seller\'s account as the seller does; an unknown seller is 404; nobody else may', async () => {
  const own = await stack.http.get('/v1/payout-account').set(bearer(a.seller)).expect(200);
  const audited = await stack.http.get(`/v1/audit/accounts/${a.sellerId}`).set(bearer(a.auditor)).expect(200);
  expect(audited.body).toEqual(own.body);
  await stack.http.get(`/v1/audit/accounts/${uniqueId('nobody')}`).set(bearer(a.auditor)).expect(404);
  await stack.http.get(`/v1/audit/accounts/${a.sellerId}`).set(bearer(a.seller)).expect(403);
  await stack.http.get(`/v1/audit/accounts/${a.sellerId}`).set(bearer(a.buyer)).expect(403);
});

test('an auditor starts a reconciliation now: 202 with the id its report then has; bad scopes are 400', async () => {
  const started = await stack.http.post('/v1/reconciliations').set(bearer(a.auditor)).send({ sellerIds: [a.sellerId] }).expect(202);
  expect(started.body).toEqual({ id: expect.any(String), workflowId: expect.stringMatching(/^ledger-reconciliation-manual-/) });
  await stack.client.workflow.getHandle(started.body.workflowId).result();
  const reports = await stack.http.get('/v1/reconciliations').set(bearer(a.auditor)).query({ limit: 100 }).expect(200);
  expect(reports.body.items.find((r: { id: string }) => r.id === started.body.id)).toMatchObject({ sellerIds: [a.sellerId], sellersChecked: 1, ok: true });
  // null: every seller.
  const everyone = await stack.http.post('/v1/reconciliations').set(bearer(a.auditor)).send({ sellerIds: null }).expect(202);
  await stack.client.workflow.getHandle(everyone.body.workflowId).result();
  await stack.http.post('/v1/reconciliations').set(bearer(a.auditor)).expect(400);
  await stack.http.post('/v1/reconciliations').set(bearer(a.auditor)).send({ sellerIds: [] }).expect(400);
  await stack.http.post('/v1/reconciliations').set(bearer(a.auditor)).send({ sellerIds: ['x', 'x'] }).expect(400);
  await stack.http.post('/v1/reconciliations').set(bearer(a.seller)).send({}).expect(403);
});

test('the reconciliation mismatch card reaches the auditors\' inbox, and only theirs', async () => {
  const connection = stack.orm.em.fork().getConnection();
  await connection.execute('update seller_accounts set available_fen = available_fen + 1 where seller_id = ?', [a.sellerId]);
  let reportId: string;
  try {
    const result = await stack.client.workflow.execute(reconciliationWorkflow, {
      taskQueue: stack.config.taskQueue, workflowId: uniqueId('reconciliation'), args: [{ sellerIds: [a.sellerId], settleGraceMs: 0 }],
    });
    expect(result.ok).toBe(false);
    reportId = result.reportId;
  } finally {
    await connection.execute('update seller_accounts set available_fen = available_fen - 1 where seller_id = ?', [a.sellerId]);
  }
  const card = await eventually(async () => {
    const inbox = await stack.http.get('/v1/auditor/notifications').set(bearer(a.auditor)).query({ limit: 100 }).expect(200);
    return inbox.body.items.find((n: { payload: { reportId?: string } }) => n.payload.reportId === reportId);
  });
  expect(card).toMatchObject({ kind: 'RECONCILIATION_MISMATCH', payoutId: null, payload: { sellerIds: [a.sellerId] } });
  const buyerCards = await stack.http.get('/v1/buyer/notifications').set(bearer(a.buyer)).query({ limit: 100 }).expect(200);
  expect(buyerCards.body.items.some((n: { kind: string }) => n.kind === 'RECONCILIATION_MISMATCH')).toBe(false);
  await stack.http.get('/v1/auditor/notifications').set(bearer(a.seller)).expect(403);
  await stack.http.get('/v1/auditor/notifications').set(bearer(a.buyer)).expect(403);
});
