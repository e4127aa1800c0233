/** Builds the API from its dependencies; `api/main.ts` and the tests both use it. */
import { Connection, type Client } from '@temporalio/client';
import { temporalClient } from '../codec/data-converter';
import type Koa from 'koa';
import type { Config } from '../config';
import { createLogger, type Logger } from '../logger';
import type { Orm } from '../db/orm';
import { systemClock, type Clock } from '../domain/time';
import type { PaymentProvider } from '../provider/provider';
import { SandboxProvider } from '../provider/sandbox';
import { Notifier } from '../notify/notifier';
import { createApp, type AppOptions } from './app';
import { secretKey } from './auth';
import { handlers } from './handlers';
import { ApiMetrics } from './metrics';
import { PayoutGateway } from './payout-gateway';
import { ReserveGateway } from './reserve-gateway';
import type { ApiDeps } from './types';

export interface ApiOptions {
  config: Config;
  orm: Orm;
  temporal: Client;
  clock?: Clock;
  provider?: PaymentProvider;
  /** Overrides of the per-principal write limit (tests use a small one). */
  rateLimit?: AppOptions['rateLimit'];
  /** Overrides of the per-seller bounds on requests in flight. */
  sellerGate?: AppOptions['sellerGate'];
  /** The dev sign-in of `npm start` (scripts/dev-sign-in.ts); never in a deployment. */
  devRoutes?: AppOptions['devRoutes'];
  /** The process's logger; one at LOG_LEVEL (config.ts) when absent. */
  logger?: Logger;
}

export function buildApi({ config, orm, temporal, clock = systemClock, provider, rateLimit, sellerGate, devRoutes, logger }: ApiOptions): { app: Koa; deps: ApiDeps } {
  const deps: ApiDeps = {
    logger: logger ?? createLogger(config.logLevel, 'api'),
    orm,
    temporal,
    gateway: new PayoutGateway(temporal, config.taskQueue, config.confirmWindowMs),
    reserve: new ReserveGateway(temporal, config.taskQueue, config.confirmWindowMs),
    provider: provider ?? new SandboxProvider(orm, clock),
    config,
    clock,
    jwtSecret: secretKey(config.jwtSecret),
    metrics: new ApiMetrics(),
    notifier: new Notifier(orm, clock, config.notifyWebhookUrl ? { url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret ?? '' } : undefined),
  };
  deps.metrics.countUndeliverableCards(orm);
  return { app: createApp(deps, handlers, undefined, { rateLimit, sellerGate, devRoutes }), deps };
}

export async function connectTemporal(config: Config, address = config.temporalAddress ?? '127.0.0.1:7233'): Promise<Client> {
  const connection = await Connection.connect({ address });
  return temporalClient(connection, config.temporalNamespace, config.payloadKeys);
}
