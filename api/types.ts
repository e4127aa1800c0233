/**
 * Handler types derived from the OpenAPI-generated `operations`: a handler for `createPayout`
 * receives exactly the body, path and query that openapi.yaml declares, and must answer with one of
 * its declared success bodies.
 */
import type { EntityManager } from '@mikro-orm/mysql';
import type { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { PayoutView } from '../domain/payout';
import type { Clock } from '../domain/time';
import type { PaymentProvider } from '../provider/provider';
import type { Orm } from '../db/orm';
import type { JwtKey, Principal } from './auth';
import type { components, operations } from './generated/openapi';
import type { OperationId } from './spec';
import type { PayoutGateway } from './payout-gateway';
import type { ReserveGateway } from './reserve-gateway';
import type { ApiMetrics } from './metrics';
import type { Notifier } from '../notify/notifier';
import type { SessionCookie } from './session';

export type Schemas = components['schemas'];

/** True when A and B are one type, optional and readonly members included. */
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Holds<T extends true> = T;

/**
 * The workflows, activities and db/ speak domain/payout.ts's PayoutView, and may not import api/;
 * the API answers it as openapi.yaml's Payout. A field added, dropped or retyped on either side
 * fails to compile here, so the two cannot drift apart.
 */
export type PayoutViewIsTheContract = Holds<Identical<PayoutView, Schemas['Payout']>>;

type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : undefined;
export type RequestBody<Op extends OperationId> = JsonContent<NonNullable<operations[Op]['requestBody']>>;
export type PathParams<Op extends OperationId> = NonNullable<operations[Op]['parameters']['path']>;
export type QueryParams<Op extends OperationId> = NonNullable<operations[Op]['parameters']['query']>;

type Responses<Op extends OperationId> = operations[Op]['responses'];
type SuccessCode<Op extends OperationId> = Extract<keyof Responses<Op>, 200 | 201 | 202 | 503>;
export type Reply<Op extends OperationId> = {
  // A non-JSON body (CSV, Prometheus text) may be streamed: Koa pipes a Readable to the response.
  [S in SuccessCode<Op>]: { status: S; body: JsonContent<Responses<Op>[S]> extends undefined ? string | Readable : JsonContent<Responses<Op>[S]>; contentType?: string; cookies?: SessionCookie[] };
}[SuccessCode<Op>];

export interface ApiDeps {
  orm: Orm;
  temporal: Client;
  gateway: PayoutGateway;
  /** Recharges and withdrawals, each a workflow. */
  reserve: ReserveGateway;
  provider: PaymentProvider;
  config: Config;
  clock: Clock;
  jwtSecret: JwtKey;
  metrics: ApiMetrics;
  notifier: Notifier;
  /** The process's logger; a request logs through its own child (`Call.log`). */
  logger: Logger;
}

export interface Call<Op extends OperationId> {
  /** Null only on operations open to `anyone`. */
  principal: Principal | null;
  body: RequestBody<Op>;
  params: PathParams<Op>;
  query: QueryParams<Op>;
  idempotencyKey: string | undefined;
  /** The verified bearer token, when the request authenticated with one (the sign-in stores it in a cookie). */
  bearerToken: string | undefined;
  /** Forked for this request. */
  em: EntityManager;
  deps: ApiDeps;
  /** The request's logger: every line carries the request id. */
  log: Logger;
}

export type Handler<Op extends OperationId> = (call: Call<Op>) => Promise<Reply<Op>>;
export type Handlers = { [Op in OperationId]: Handler<Op> };

/** The principal of an operation that requires authentication. */
export function principalOf(call: { principal: Principal | null }): Principal {
  if (!call.principal) throw new Error('operation requires a principal');
  return call.principal;
}
