/**
 * Finding 6 of the security review (issue 12): slow clients and sizes. A body trickled byte by
 * byte was held open for 70 s+ (Node's default 300 s request timeout), and a 60 KB Authorization
 * header got 431 with an empty non-JSON body. These need a socket: the API's own listener
 * (`listenHttp`, as `api/main.ts` and `npm start` use it) on a random port of 127.0.0.1, driven with
 * raw TCP so that bytes can be sent as slowly as an attacker would. The timeouts are shortened here
 * so the suite stays quick; the defaults are checked to be set as well.
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApi } from '../../api/server';
import { createApiServer, HTTP_LIMITS, type HttpLimits } from '../../api/http-server';
import { listenHttp } from '../../startup/ports';
import { startStack, uniqueId, type Stack } from '../support/stack';

const LIMITS: HttpLimits = { headersTimeoutMs: 800, requestTimeoutMs: 1_500, keepAliveTimeoutMs: 1_000, timeoutCheckIntervalMs: 100, headersSizeMaxBytes: 16 * 1024 };
/** Far below Node's defaults (300 s for a request): a test that waits this long has failed. */
const ANSWER_WITHIN_MS = 4_000;

let stack: Stack;
let server: Server;
let port: number;
let token: string;

beforeAll(async () => {
  stack = await startStack({ worker: 'none' });
  const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client });
  server = await listenHttp(app.callback(), 0, '127.0.0.1', LIMITS);
  port = (server.address() as AddressInfo).port;
  token = await stack.token(uniqueId('seller'), 'seller');
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await stack.stop();
});

interface Exchange {
  text: string;
  /** When the server closed the connection, from the first byte sent; null if it had not by the deadline. */
  closedAfterMs: number | null;
}

/** Sends `chunks` over one connection, `gapMs` apart, and reads until the server closes or the deadline. */
function exchange(chunks: string[], { gapMs = 0, deadlineMs = ANSWER_WITHIN_MS } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const startedMs = Date.now();
    let text = '';
    const timers: NodeJS.Timeout[] = [];
    const finish = (closed: boolean) => {
      timers.forEach(clearTimeout);
      socket.destroy();
      resolve({ text, closedAfterMs: closed ? Date.now() - startedMs : null });
    };
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (text += data));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
    chunks.forEach((chunk, i) => timers.push(setTimeout(() => socket.writable && socket.write(chunk), i * gapMs)));
    timers.push(setTimeout(() => finish(false), deadlineMs));
  });
}

function parse(response: string): { status: number; headers: string; body: { error?: { code: string; message: string } } } {
  const [head, ...rest] = response.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(rest.join('\r\n\r\n')) };
}

describe('finding 6: slow clients and sizes', () => {
  test('a body trickled byte by byte is answered 408 REQUEST_TIMEOUT in JSON and the connection closed', async () => {
    const body = JSON.stringify({ orderId: 'order-1', amount: 100, reason: 'OTHER', note: 'x'.repeat(60) });
    const head = `POST /v1/payouts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { text, closedAfterMs } = await exchange([head, ...body.split('')], { gapMs: 100 });
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs!).toBeLessThan(LIMITS.requestTimeoutMs + 1_000);
    const res = parse(text);
    expect([res.status, res.body.error?.code]).toEqual([408, 'REQUEST_TIMEOUT']);
    expect(res.headers).toContain('content-type: application/json');
    expect(typeof res.body.error?.message).toBe('string');
  });

  test('headers trickled line by line are answered 408 REQUEST_TIMEOUT within the headers timeout', async () => {
    const lines = ['GET /healthz HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n', ...Array.from({ length: 30 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    const { text, closedAfterMs } = await exchange(lines, { gapMs: 100 });
    expect(closedAfterMs!).toBeLessThan(LIMITS.headersTimeoutMs + 1_000);
    expect([parse(text).status, parse(text).body.error?.code]).toEqual([408, 'REQUEST_TIMEOUT']);
  });

  test('a 60 KB Authorization header is 431 HEADERS_TOO_LARGE in JSON', async () => {
    const { text } = await exchange([`GET /v1/payouts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${'A'.repeat(60 * 1024)}\r\n\r\n`]);
    const res = parse(text);
    expect([res.status, res.body.error?.code]).toEqual([431, 'HEADERS_TOO_LARGE']);
    expect(res.headers).toContain('content-type: application/json');
  });

  test('a body above 16 kB is 413 PAYLOAD_TOO_LARGE in JSON, before it is read', async () => {
    const head = `POST /v1/payouts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${17 * 1024}\r\nConnection: close\r\n\r\n`;
    const { text } = await exchange([head, '{"note":"']);
    const res = parse(text);
    expect([res.status, res.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  test('a request that is not HTTP is 400 VALIDATION_ERROR in JSON', async () => {
    const { text } = await exchange(['HELLO THERE\r\n\r\n']);
    const res = parse(text);
    expect([res.status, res.body.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const { text, closedAfterMs } = await exchange(['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(closedAfterMs).not.toBeNull();
    // Node closes an idle keep-alive socket up to a second after the timeout it is given.
    expect(closedAfterMs!).toBeLessThan(LIMITS.keepAliveTimeoutMs + 2_000);
  });

  test('the default limits are a few seconds, and the server is built with them', () => {
    expect(HTTP_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(HTTP_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(HTTP_LIMITS.requestTimeoutMs);
    const defaults = createApiServer(() => undefined);
    expect([defaults.requestTimeout, defaults.headersTimeout, defaults.keepAliveTimeout]).toEqual([
      HTTP_LIMITS.requestTimeoutMs, HTTP_LIMITS.headersTimeoutMs, HTTP_LIMITS.keepAliveTimeoutMs,
    ]);
  });
});
