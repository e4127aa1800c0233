/**
 * One line per request through pino-http: method, path, status, time taken and the request id. The
 * id is on every line logged while the request runs (`ctx.state.log`, which handlers receive as
 * `call.log`) and in the `x-request-id` response header. A caller's own `X-Request-Id` is kept when
 * it is a plain token, so that a gateway's id follows the request here; otherwise it is a new UUID.
 *
 * Levels: `info` for every answer below 500 (a refusal is the API working); the error middleware
 * decides a 5xx's: `warn` for a dependency that is down (503), `error`, with the stack, for a defect.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Probes answer every few seconds; a line each would bury the requests that matter. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** What the error middleware tells the request's line about a 5xx it answered. */
export interface RequestFailure {
  level: 'warn' | 'error';
  /** The error (its stack is logged) or, for an operating condition, its message alone. */
  err: unknown;
}

export interface LoggedState {
  /** The request's logger: every line carries `reqId`. */
  log: Logger;
  operationId?: string;
  /** `principalKey` of the caller once authenticated: role, seller and account. */
  principal?: string;
  failure?: RequestFailure;
}

const STATE = Symbol('koa state');
type StatefulRequest = IncomingMessage & { [STATE]?: LoggedState };
const stateOf = (req: IncomingMessage) => (req as StatefulRequest)[STATE];

export function requestLogging(logger: Logger): Koa.Middleware<LoggedState> {
  const httpLogger = pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    // Lines logged during the request carry the id alone; the request's own line has the rest.
    quietReqLogger: true,
    genReqId: (req, res) => {
      const header = req.headers['x-request-id'];
      const id = typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Never headers: they carry bearer tokens and session cookies.
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Read again when the response finishes, by which time the route and the caller are known.
    customProps: (req) => ({ operation: stateOf(req)?.operationId, principal: stateOf(req)?.principal }),
    // 'silent' for a line below LOG_LEVEL: pino-http then builds neither the line nor a child
    // logger of its fields (issue 18: pino's child loggers were a few per cent of a read's CPU).
    customLogLevel: (req, res) => {
      const level = stateOf(req)?.failure?.level ?? (res.statusCode >= 500 ? 'warn' : 'info');
      return logger.isLevelEnabled(level) ? level : 'silent';
    },
    // pino-http makes an error of its own for any 5xx; the middleware's is the one worth logging.
    customErrorObject: (req, _res, _made, fields) => ({ ...fields, err: stateOf(req)?.failure?.err }),
    autoLogging: { ignore: (req) => UNLOGGED_PATHS.has(req.url?.split('?')[0] ?? '') },
  });
  return async (ctx, next) => {
    (ctx.req as StatefulRequest)[STATE] = ctx.state;
    httpLogger(ctx.req, ctx.res);
    ctx.state.log = ctx.req.log;
    await next();
  };
}
