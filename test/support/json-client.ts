/**
 * The harness's JSON client (benchmark, chaos run, set-up of both) over node:http with keep-alive
 * sockets: they share two cores with everything they drive, so they use the lightest client Node
 * has (fetch costs several times more CPU per request). `request` sends once; `send` retries what a
 * careful client retries.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** No request may hang: past this it fails (the benchmark counts it as a failure). */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Attempts of `send`; with the backoff below, a request keeps trying for about a minute. */
const ATTEMPTS_MAX = 40;
const BACKOFF_MS_MIN = 200;
const BACKOFF_MS_MAX = 2_000;

/** The wait before retry `attempt` (from 0): doubling from 200 ms to 2 s, jittered; a caller that retries by hand waits alike. */
export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_MS_MAX, BACKOFF_MS_MIN * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random());
}

export interface JsonResponse {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A non-2xx answer (or a transport failure), with the SPEC code when the body carries one. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorCodeOf(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export interface ClientOptions {
  /** Per attempt; REQUEST_TIMEOUT_MS by default. */
  timeoutMs?: number;
  /** Past this (epoch ms) `send` retries no more: the run is ending. */
  deadline?: number;
}

export class JsonClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly deadline: number;
  /** Attempts `send` repeated. */
  retries = 0;

  constructor(baseUrl: string, socketsMax: number, options: ClientOptions = {}) {
    this.base = new URL(baseUrl);
    if (this.base.hostname !== '127.0.0.1') throw new Error(`the harness talks to 127.0.0.1 only, not ${this.base.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: socketsMax });
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.deadline = options.deadline ?? Infinity;
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<JsonResponse> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks)), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new HttpFailure(0, 'CLIENT_TIMEOUT', `${method} ${path} took longer than ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof HttpFailure ? err : new HttpFailure(0, 'TRANSPORT', `${method} ${path}: ${err.message}`)));
      req.end(payload);
    });
  }

  /**
   * Sends until an answer that is not a transient failure (no answer, 5xx, 429) arrives, or the
   * attempts or the client's time run out; the last answer, status 0 when there was none.
   */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<JsonResponse> {
    let last: JsonResponse = { status: 0, body: { error: { code: 'NO_ANSWER' } }, headers: {} };
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      if (attempt > 0) {
        if (Date.now() >= this.deadline) break;
        this.retries++;
        await sleep(backoffMs(attempt));
      }
      try {
        last = await this.request(method, path, options);
        if (last.status < 500 && last.status !== 429) return last;
      } catch (err) {
        last = { status: 0, body: { error: { code: (err as HttpFailure).code ?? 'TRANSPORT' } }, headers: {} };
      }
    }
    return last;
  }

  /**
   * Like `request` (`send` when `patient`), but a status other than `expected` (or than each of
   * them) throws an HttpFailure carrying the SPEC code.
   */
  async expect(expected: number | readonly number[], method: string, path: string, options: RequestOptions & { patient?: boolean } = {}): Promise<unknown> {
    const res = await (options.patient ? this.send(method, path, options) : this.request(method, path, options));
    if (!(typeof expected === 'number' ? [expected] : expected).includes(res.status)) {
      throw new HttpFailure(res.status, errorCodeOf(res.body), `${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.toString('utf8');
  }
}
