/**
 * SPEC §8b: configuration from the environment, each with a working local default.
 * Read once at start-up by the entry points and passed down; nothing else reads `process.env`.
 */
import { parsePayloadKeyring, type PayloadKeyring } from './codec/keyring';
import { parseDurationMs } from './domain/duration';

export interface Config {
  /** The API's listening address: loopback unless told otherwise (the container sets 0.0.0.0). */
  host: string;
  port: number;
  databaseUrl: string;
  /** Unset: `npm start` runs a local Temporal dev server. */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  jwtSecret: string;
  /** True when no secret was configured and a development one is in use (printed at start). */
  jwtSecretIsDevelopment: boolean;
  confirmWindowMs: number;
  notifyWebhookUrl: string | undefined;
  notifyWebhookSecret: string | undefined;
  /** PAYLOAD_KEYS and PAYLOAD_KEY_ID: the keys of the payload codec (codec/keyring.ts). */
  payloadKeys: PayloadKeyring;
}

/** Only for local development; `npm start` prints it so that a newcomer can mint tokens. */
export const DEVELOPMENT_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT is not a port: ${env.PORT}`);
  return {
    host: env.HOST || '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/payouts',
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'payouts',
    jwtSecret: env.AUTH_JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    jwtSecretIsDevelopment: !env.AUTH_JWT_SECRET,
    confirmWindowMs: parseDurationMs(env.PAYOUT_CONFIRM_WINDOW ?? '3d'),
    notifyWebhookUrl: env.NOTIFY_WEBHOOK_URL || undefined,
    notifyWebhookSecret: env.NOTIFY_WEBHOOK_SECRET || undefined,
    payloadKeys: parsePayloadKeyring(env.PAYLOAD_KEYS || undefined, env.PAYLOAD_KEY_ID || undefined),
  };
}
