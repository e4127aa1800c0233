/**
 * The Koa application. One error path: every failure reaches the error middleware first in the
 * chain, which maps DomainErrors to their SPEC status and code and answers anything unexpected
 * with a generic 500 (the details go to the request's log line, with its id, never to the client).
 *
 * Routes come from openapi.yaml: each operation is mounted with its `x-roles`, its validators and
 * the handler of the same operationId.
 */
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import cors from '@koa/cors';
import { subAccountMayPayout } from '../db/reserve/accounts';
import { DomainError } from '../domain/errors';
import { illFormedPath, isWellFormed } from '../domain/unicode';
import { authenticate, principalKey, type Principal } from './auth';
import { httpStatus } from './errors';
import { errorBody } from './idempotency';
import type { ApiMetrics } from './metrics';
import { pagesMiddleware } from './pages';
import { RateLimiter, type RateLimitOptions } from './rate-limit';
import { requestLogging, type LoggedState } from './request-log';
import { SellerGate, type SellerGateOptions } from './seller-gate';
import { SESSION_COOKIE, type SessionCookie } from './session';
import { describeValidationError, loadOperations, type Operation } from './spec';
import type { ApiDeps, Handlers } from './types';

/** Bodies above this are refused before parsing. */
export const BODY_SIZE_MAX = '16kb';
/** The codec endpoint takes a batch of payloads from the Temporal UI; Temporal's own limit on one payload is 2 MB. */
export const CODEC_BODY_SIZE_MAX = '4mb';
const CODEC_PATH_PREFIX = '/codec/';

type State = LoggedState;

export interface AppOptions {
  /** The per-principal limit on writes; the defaults of `api/rate-limit.ts` when absent. */
  rateLimit?: Partial<RateLimitOptions>;
  /** The per-seller bounds on requests in flight; the defaults of `api/seller-gate.ts` when absent. */
  sellerGate?: Partial<SellerGateOptions>;
  /** Routes of `npm start` alone (the dev sign-in), mounted before the pages and the API. */
  devRoutes?: Koa.Middleware;
}

/** The one operation whose body may be a bare JSON `null`. */
const AUTO_TOP_UP_PATH = '/v1/payout-account/auto-top-up';

export function createApp(deps: ApiDeps, handlers: Handlers, operations: Operation[] = loadOperations(), options: AppOptions = {}): Koa<State> {
  for (const { operationId } of operations) {
    if (typeof handlers[operationId] !== 'function') throw new Error(`openapi.yaml operation ${operationId} has no handler`);
  }
  const app = new Koa<State>();
  const writeLimiter = new RateLimiter(options.rateLimit);
  const sellerGate = new SellerGate(options.sellerGate);
  const { metrics } = deps;
  app.proxy = false;
  app.use(requestLogging(deps.logger));
  app.use(errorMiddleware(metrics));
  app.use(codecCors(deps.config.codecCorsOrigins));
  if (options.devRoutes) app.use(options.devRoutes);
  app.use(pagesMiddleware());
  app.use(jsonBodiesOnly);
  // DELETE bodies are parsed too, so that one sent to an operation that takes none is refused, not ignored.
  const parsedMethods = ['POST', 'PUT', 'PATCH', 'DELETE'];
  const smallBodies = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_SIZE_MAX, encoding: 'utf-8', parsedMethods });
  const codecBodies = bodyParser({ enableTypes: ['json'], jsonLimit: CODEC_BODY_SIZE_MAX, encoding: 'utf-8', parsedMethods });
  // The auto top-up's body is its setting or a bare `null` (SPEC §5), which the strict parser refuses;
  // the request is still validated against openapi.yaml, so nothing but an object or null gets through.
  const nullableBodies = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_SIZE_MAX, encoding: 'utf-8', parsedMethods, jsonStrict: false });
  app.use((ctx, next) => {
    if (ctx.path === AUTO_TOP_UP_PATH) return nullableBodies(ctx, next);
    if (!ctx.path.startsWith(CODEC_PATH_PREFIX)) return smallBodies(ctx, next);
    // The codec takes `{}` for an empty list (Go's clients send it), so a missing body, which the
    // parser would also turn into `{}`, stays missing and fails the body's validation.
    const sent = sendsBody(ctx);
    return codecBodies(ctx, async () => {
      if (!sent) (ctx.request as { body?: unknown }).body = undefined;
      await next();
    });
  });
  app.use(wellFormedUnicodeOnly);
  const router = new Router<State>();
  // Static segments first, so `/v1/orders/payout-eligibility` is never taken for an order id.
  const ordered = [...operations].sort((a, b) => a.path.split('{').length - b.path.split('{').length);
  for (const operation of ordered) {
    router.register(toKoaPath(operation.path), [operation.method], async (ctx) => {
      ctx.state.operationId = operation.operationId;
      const principal = await authorise(ctx, operation, deps);
      if (principal && operation.method !== 'get') limitWrites(ctx, writeLimiter, principal);
      const call = validate(ctx, operation);
      const handler = handlers[operation.operationId] as (call: unknown) => Promise<{ status: number; body: unknown; contentType?: string; cookies?: SessionCookie[] }>;
      const bearerToken = principal && ctx.get('authorization') ? ctx.get('authorization').slice('Bearer '.length) : undefined;
      const run = () => handler({ ...call, principal, bearerToken, em: deps.orm.em.fork(), deps, log: ctx.state.log });
      // A seller's requests (all its accounts together) queue behind its own bound, not in front of others'.
      const reply = principal?.sellerId ? await sellerGate.run(principal.sellerId, operation.method === 'get' ? 'read' : 'write', run) : await run();
      for (const cookie of reply.cookies ?? []) setCookie(ctx, cookie);
      ctx.status = reply.status;
      if (reply.contentType) ctx.type = reply.contentType;
      ctx.body = reply.body;
    });
  }
  app.use(router.routes());
  app.use(async (ctx) => {
    if (router.match(ctx.path, ctx.method).path.length > 0) {
      throw new DomainError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
    }
    throw new DomainError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
  });
  return app;
}

/**
 * The Temporal UI calls the codec endpoint from its own origin, with the browser's credentials
 * (the session cookie) or its OIDC token: only the configured UI origins get CORS answers, and
 * only on the codec paths. A preflight from another origin finds no route (405).
 */
function codecCors(origins: readonly string[]): Koa.Middleware {
  const allowed = cors({
    origin: (ctx) => (origins.includes(ctx.get('origin')) ? ctx.get('origin') : ''),
    credentials: true,
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'Authorization', 'Authorization-Extras', 'X-Namespace'],
    maxAge: 600,
    privateNetworkAccess: true,
  });
  return (ctx, next) => (ctx.path.startsWith(CODEC_PATH_PREFIX) ? allowed(ctx, next) : next());
}

/** HttpOnly and SameSite=Strict always; Secure whenever the request came over HTTPS. */
function setCookie(ctx: Koa.Context, cookie: SessionCookie): void {
  ctx.cookies.set(cookie.name, cookie.value || null, { httpOnly: true, sameSite: 'strict', path: '/', secure: ctx.secure, maxAge: cookie.maxAgeMs, overwrite: true });
}

/**
 * The body parser reads JSON only and would take any other body for "no body": refuse it instead,
 * so that garbage never passes as an empty request.
 */
const jsonBodiesOnly: Koa.Middleware = async (ctx, next) => {
  if (sendsBody(ctx) && !ctx.is('application/json')) {
    throw new DomainError('VALIDATION_ERROR', 'the body must be application/json', { field: 'body' });
  }
  await next();
};

/**
 * Refuses ill-formed Unicode in every string the request carries before anything else happens: a
 * lone surrogate in the JSON body (valid JSON, but no character, which the database cannot store),
 * or percent-escapes in the path or query that decode to no UTF-8 text. The headers the API reads
 * (Authorization, Idempotency-Key, x-request-id) are checked against ASCII patterns where read.
 */
const wellFormedUnicodeOnly: Koa.Middleware = async (ctx, next) => {
  const field = illFormedUrlField(ctx.path, ctx.querystring) ?? bodyField((ctx.request as { body?: unknown }).body);
  if (field) throw new DomainError('VALIDATION_ERROR', `${field} is not well-formed Unicode`, { field });
  await next();
};

function bodyField(body: unknown): string | null {
  const path = illFormedPath(body);
  if (path === null) return null;
  return path ? `body.${path}` : 'body';
}

/** `path`, or `query.<name>`, when a percent-escape there does not decode to well-formed text. */
function illFormedUrlField(path: string, querystring: string): string | null {
  if (!decodesStrictly(path)) return 'path';
  for (const pair of querystring.split('&').slice(0, QUERY_PAIRS_MAX)) {
    const [name, value = ''] = pair.split('=', 2).map((part) => part.replace(/\+/g, ' '));
    if (!decodesStrictly(name) || !decodesStrictly(value)) return `query.${decodesStrictly(name) ? decodeURIComponent(name) : '?'}`;
  }
  return null;
}

/** Koa's query parser reads at most 1,000 pairs; no more are looked at here either. */
const QUERY_PAIRS_MAX = 1_000;

/** decodeURIComponent throws on escapes of invalid UTF-8, including encoded surrogates. */
function decodesStrictly(text: string): boolean {
  try {
    return isWellFormed(decodeURIComponent(text));
  } catch {
    return false;
  }
}

function sendsBody(ctx: Koa.Context): boolean {
  return Boolean(ctx.request.length) || Boolean(ctx.get('transfer-encoding'));
}

function toKoaPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

function errorMiddleware(metrics: ApiMetrics): Koa.Middleware<State> {
  return async (ctx, next) => {
    const stopTimer = metrics.latency.startTimer();
    try {
      await next();
    } catch (err) {
      const domain = toDomainError(err);
      ctx.status = httpStatus(domain);
      ctx.body = errorBody(domain);
      const retryAfterS = domain.code === 'RATE_LIMITED' ? domain.details.retryAfterSeconds : undefined;
      if (typeof retryAfterS === 'number') ctx.set('Retry-After', String(retryAfterS));
      // A dependency that is down is an operating condition (a warning, no stack); anything else
      // that ends in a 5xx is a defect and logs its stack. Both on the request's line (request-log.ts).
      if (domain.code === 'SERVICE_UNAVAILABLE') {
        ctx.state.failure = { level: 'warn', err: String((err as Error)?.message ?? err) };
      } else if (ctx.status >= 500) {
        ctx.state.failure = { level: 'error', err };
      }
    } finally {
      const operation = ctx.state.operationId ?? 'unmatched';
      stopTimer({ operation });
      metrics.requests.inc({ operation, status: String(ctx.status) });
    }
  };
}

/** Maps anything thrown to the error the client sees: SPEC codes as they are, the rest generic. */
function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const status = (err as { status?: number; expose?: boolean })?.status;
  if (status === 413) return new DomainError('PAYLOAD_TOO_LARGE', `the body is larger than ${BODY_SIZE_MAX}`);
  if (status === 415) return new DomainError('VALIDATION_ERROR', 'the body must be application/json', { field: 'body' });
  if (status === 400) return new DomainError('VALIDATION_ERROR', 'the body is not valid JSON', { field: 'body' });
  if (isConnectionError(err)) return new DomainError('SERVICE_UNAVAILABLE', 'a dependency is unavailable; retry later');
  return new DomainError('INTERNAL', 'internal error');
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET', 'ER_CON_COUNT_ERROR'].includes(code);
}

async function authorise(ctx: Koa.ParameterizedContext<State>, operation: Operation, deps: ApiDeps): Promise<Principal | null> {
  if (operation.roles.includes('anyone')) return null;
  // A session cookie stands in for the bearer token only where the operation says so, and only
  // when no Authorization header was sent (an explicit token always wins).
  const header = ctx.get('authorization') || undefined;
  const session = !header && operation.acceptsSessionCookie ? ctx.cookies.get(SESSION_COOKIE) : undefined;
  const principal = await authenticate(session ? `Bearer ${session}` : header, deps.jwtSecret, { tokenTtlMaxS: deps.config.authTokenTtlMaxS });
  ctx.state.principal = principalKey(principal);
  if (!operation.roles.includes(principal.role)) throw new DomainError('FORBIDDEN', `role ${principal.role} may not call ${operation.operationId}`);
  if (principal.role === 'sub_account') {
    // Read on every request, so that a revocation takes effect immediately.
    if (!(await subAccountMayPayout(deps.orm.em.fork(), principal.sellerId!, principal.id))) {
      throw new DomainError('FORBIDDEN', 'this sub-account does not hold the payout permission');
    }
  }
  return principal;
}

/** Refuses a write once the principal's bucket is empty; `Retry-After` survives the error middleware. */
function limitWrites(ctx: Koa.Context, limiter: RateLimiter, principal: Principal): void {
  const admission = limiter.take(principal);
  if (admission.allowed) return;
  ctx.set('Retry-After', String(admission.retryAfterS));
  throw new DomainError('RATE_LIMITED', `too many writes; retry in ${admission.retryAfterS} s`, { retryAfterSeconds: admission.retryAfterS });
}

function validate(ctx: Koa.Context & { params?: Record<string, string> }, operation: Operation) {
  const params = { ...(ctx.params ?? {}) };
  const query = { ...ctx.query };
  const check = (validator: Operation['validateBody'], value: unknown, where: string) => {
    if (validator && !validator(value)) {
      const { field, message } = describeValidationError(validator.errors, where);
      throw new DomainError('VALIDATION_ERROR', `${field} ${message}`, { field });
    }
  };
  check(operation.validatePath, params, 'path');
  check(operation.validateQuery ?? emptyQuery, query, 'query');
  const body = (ctx.request as { body?: unknown }).body;
  if (operation.validateBody) check(operation.validateBody, body, 'body');
  else if (body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0)) {
    throw new DomainError('VALIDATION_ERROR', 'this operation takes no body', { field: 'body' });
  }
  const idempotencyKey = ctx.get('idempotency-key') || undefined;
  if (idempotencyKey !== undefined && !/^[\x21-\x7E]{1,128}$/.test(idempotencyKey)) {
    throw new DomainError('VALIDATION_ERROR', 'Idempotency-Key must be 1-128 visible ASCII characters', { field: 'header.Idempotency-Key' });
  }
  return { params, query, body, idempotencyKey };
}

const emptyQuery = Object.assign((value: unknown) => Object.keys(value as object).length === 0, {
  errors: [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: '' }, message: 'takes no parameters', schemaPath: '' }],
}) as unknown as Operation['validateBody'];
