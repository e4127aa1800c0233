/**
 * The API's HTTP server: Node's, with every limit on a slow or oversized request set on purpose
 * instead of left at its default (a 300 s request timeout, 30 s between timeout checks), and every
 * refusal Node makes before Koa sees the request answered in the API's error shape,
 * `{error: {code, message}}`, instead of an empty non-JSON body.
 *
 * Bodies are at most 16 kB (api/app.ts), which a slow mobile link sends in well under a second;
 * a client that has not sent its headers in HEADERS_TIMEOUT_MS, or its whole request in
 * REQUEST_TIMEOUT_MS, is answered 408 `REQUEST_TIMEOUT` and disconnected, so that trickling bytes
 * cannot hold sockets open.
 */
import { createServer, STATUS_CODES, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../domain/errors';
import { ERROR_STATUS } from './errors';

export interface HttpLimits {
  /** Time to receive the request line and headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept for the next request. */
  keepAliveTimeoutMs: number;
  /** How often Node looks for requests past their timeouts; a timeout fires up to this late. */
  timeoutCheckIntervalMs: number;
  /** Request line and headers together. */
  headersSizeMaxBytes: number;
}

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 500,
  headersSizeMaxBytes: 16 * 1024,
};

export function createApiServer(handler: RequestListener, limits: HttpLimits = HTTP_LIMITS): Server {
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    maxHeaderSize: limits.headersSizeMaxBytes,
  }, handler);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, limits));
  return server;
}

interface Refusal {
  code: ErrorCode;
  message: string;
}

function refusalFor(err: NodeJS.ErrnoException, limits: HttpLimits): Refusal {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: `the request was not received within ${limits.requestTimeoutMs} ms (headers within ${limits.headersTimeoutMs} ms)` };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS_TOO_LARGE', message: `the request line and headers are larger than ${limits.headersSizeMaxBytes} bytes` };
    default:
      return { code: 'VALIDATION_ERROR', message: 'the request is not well-formed HTTP' };
  }
}

/**
 * Node's `clientError`: the request could not be read (timed out, headers too large, malformed).
 * With a listener, answering is ours; a response Koa has already begun is left alone (the socket
 * is closed), and so is a socket that can no longer be written or was reset by the client.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, limits: HttpLimits): void {
  const started = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const { code, message } = refusalFor(err, limits);
  const status = ERROR_STATUS[code];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
