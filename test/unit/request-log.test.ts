/**
 * The request's log line (api/request-log.ts): one per request at `info`, carrying the request id,
 * the operation and the caller; none below LOG_LEVEL, where pino-http is told `silent` and builds
 * nothing; a failure's level as the error middleware set it. Against an in-memory pino stream.
 */
import Koa from 'koa';
import request from 'supertest';
import { requestLogging, type LoggedState } from '../../api/request-log';
import type { LogLevel } from '../../logger';
import { loggedLines } from '../support/log-lines';

function appLogging(level: LogLevel) {
  const { lines, logger } = loggedLines(level);
  const app = new Koa<LoggedState>();
  app.use(requestLogging(logger));
  app.use(async (ctx) => {
    ctx.state.operationId = 'probe';
    ctx.state.principal = 'seller::s1';
    if (ctx.path === '/down') {
      ctx.state.failure = { level: 'warn', err: 'the database is down' };
      ctx.status = 503;
    } else {
      ctx.state.log.debug('inside the request');
      ctx.body = { ok: true };
    }
  });
  return { http: request(app.callback()), lines };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('at info, one line per request with its id, operation, caller and status', async () => {
  const { http, lines } = appLogging('info');
  const res = await http.get('/probe').set('x-request-id', 'req-1');
  await settle();
  expect(res.headers['x-request-id']).toBe('req-1');
  expect(lines).toEqual([expect.objectContaining({ level: 30, reqId: 'req-1', operation: 'probe', principal: 'seller::s1', res: { statusCode: 200 } })]);
});

test('below LOG_LEVEL, no line; the request id still answers', async () => {
  const { http, lines } = appLogging('warn');
  const res = await http.get('/probe');
  await settle();
  expect(res.status).toBe(200);
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(lines).toEqual([]);
});

test("a failure's line at the level the error middleware gave it, at warn too", async () => {
  const { http, lines } = appLogging('warn');
  await http.get('/down').set('x-request-id', 'req-2');
  await settle();
  expect(lines).toEqual([expect.objectContaining({ level: 40, reqId: 'req-2', operation: 'probe', err: 'the database is down', res: { statusCode: 503 } })]);
});

test("lines logged inside the request carry its id", async () => {
  const { http, lines } = appLogging('debug');
  await http.get('/probe').set('x-request-id', 'req-3');
  await settle();
  expect(lines[0]).toEqual(expect.objectContaining({ level: 20, reqId: 'req-3', msg: 'inside the request' }));
  expect(lines).toHaveLength(2);
});
