/**
 * A small JSON client over node:http with keep-alive sockets. The benchmark shares two cores with
 * everything it measures, so it uses the lightest client Node has (fetch costs several times more
 * CPU per request), and the same client drives the product and the ceiling alike.
 */
import http from 'node:http';

/** No request of the benchmark may hang: past this it fails and is counted as a failure. */
export const REQUEST_TIMEOUT_MS = 30_000;

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

export class JsonClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, socketsMax: number) {
    this.base = new URL(baseUrl);
    if (this.base.hostname !== '127.0.0.1') throw new Error(`the benchmark talks to 127.0.0.1 only, not ${this.base.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: socketsMax });
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
        { host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks)), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new HttpFailure(0, 'CLIENT_TIMEOUT', `${method} ${path} took longer than ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(err instanceof HttpFailure ? err : new HttpFailure(0, 'TRANSPORT', `${method} ${path}: ${err.message}`)));
      req.end(payload);
    });
  }

  /** Like `request`, but a status other than `expected` throws an HttpFailure carrying the SPEC code. */
  async expect(expected: number, method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const res = await this.request(method, path, options);
    if (res.status !== expected) {
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
