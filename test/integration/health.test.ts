/** Liveness, readiness (database and Temporal), metrics, and the workflow's progress query. */
import { Connection } from '@temporalio/client';
import { buildApi } from '../../api/server';
import { temporalClient } from '../../codec/data-converter';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { progressQuery } from '../../workflows/payout';
import { openMarket } from '../support/scenario';
import { conformingRequest } from '../support/contract';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('healthz, readyz and metrics answer without a token', async () => {
  expect((await stack.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  expect((await stack.http.get('/readyz').expect(200)).body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
  const metrics = await stack.http.get('/metrics').expect(200);
  expect(metrics.type).toMatch(/text\/plain/);
  expect(metrics.text).toContain('http_requests_total{operation="getReadiness",status="200"}');
});

test('readyz answers 503, promptly, when Temporal is unreachable', async () => {
  const connection = await Connection.lazy({ address: '127.0.0.1:1' });
  const temporal = temporalClient(connection, stack.config.temporalNamespace, stack.config.payloadKeys);
  const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal });
  const started = Date.now();
  const res = await conformingRequest(app.callback()).get('/readyz').expect(503);
  expect(res.body.status).toBe('unavailable');
  expect(res.body.checks.database).toBe('ok');
  expect(res.body.checks.temporal).toMatch(/^unavailable/);
  expect(Date.now() - started).toBeLessThan(10_000);
  // Let the client's last scheduled retry find its deadline passed before the channel closes.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await connection.close();
});

test('the workflow answers its progress', async () => {
  const market = await openMarket(stack);
  const created = await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(201);
  const progress = await stack.client.workflow.getHandle(payoutWorkflowId(created.body.id)).query(progressQuery);
  expect(progress).toEqual({ payoutId: created.body.id, status: 'AWAITING_CONFIRMATION', expiresAt: created.body.expiresAt, reminded: false, decision: null });
});
