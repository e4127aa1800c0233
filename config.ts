/**
 * SPEC §8b: configuration from the environment, each with a working local default.
 * Read once at start-up by the entry points and passed down; nothing else reads `process.env`.
 */
import { parsePayloadKeyring, type PayloadKeyring } from './codec/keyring';
import { parseDurationMs } from './domain/duration';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logger';
import { redactUrl, StartupError } from './startup/errors';

export interface Config {
  /** The API's listening address: loopback unless told otherwise (the container sets 0.0.0.0). */
  host: string;
  port: number;
  databaseUrl: string;
  /** Unset: `npm start` runs a local Temporal dev server. */
  temporalAddress: string | undefined;
  /** The ports of `npm start`'s dev server; the UI's follows the server's, as the CLI's does. */
  temporalDevPort: number;
  temporalUiPort: number;
  temporalNamespace: string;
  taskQueue: string;
  jwtSecret: string;
  /** True when no secret was configured and a development one is in use (printed at start). */
  jwtSecretIsDevelopment: boolean;
  confirmWindowMs: number;
  notifyWebhookUrl: string | undefined;
  notifyWebhookSecret: string | undefined;
  /** CODEC_CORS_ORIGINS: the Temporal UI origins that may call the codec endpoint with credentials. */
  codecCorsOrigins: string[];
  /** PAYLOAD_KEYS and PAYLOAD_KEY_ID: the keys of the payload codec (codec/keyring.ts). */
  payloadKeys: PayloadKeyring;
  /** AUTH_MAX_TOKEN_TTL: the longest lifetime (`exp` − `iat`) a token may declare, in seconds. */
  authTokenTtlMaxS: number;
  /** LOG_LEVEL: the least level the API and the worker write (logger.ts); `info` by default. */
  logLevel: LogLevel;
  /**
   * TEST_CRASH_AFTER_ORDER_COMMIT=1, for tests only: the API process SIGKILLs itself right after an
   * order update that cancels a payout commits, before it tells the workflow, so that a test can
   * show the cancellation still happens (the mark in the database, the sweep, markConfirmed's re-check).
   */
  crashAfterOrderCommit: boolean;
}

/** Where the separate worker and API processes look for Temporal when TEMPORAL_ADDRESS is unset. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** Only for local development; `npm start` prints it so that a newcomer can mint tokens. */
export const DEVELOPMENT_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

function parsePort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const port = Number(env[name] || fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new StartupError(`${name}="${env[name]}" is not a port number: set it to one from 1 to 65535 (0: any free port).`);
  return port;
}

function parseDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/payouts';
  // The database is created by name at start, so the name must be one that needs no quoting.
  if (!URL.canParse(url) || !/^\/[A-Za-z0-9_]{1,64}$/.test(new URL(url).pathname)) {
    throw new StartupError(`DATABASE_URL="${redactUrl(url)}" is not a URL that names a database of [A-Za-z0-9_]: set it like mysql://user:password@host:3306/payouts.`);
  }
  return url;
}

/** `npm start`'s Temporal UI, by both of its loopback names. */
const developmentUiOrigins = (uiPort: number) => `http://127.0.0.1:${uiPort},http://localhost:${uiPort}`;
const ORIGINS_MAX = 16;

/** Origins are compared exactly with the browser's `Origin` header: scheme, host and port, no path. */
function parseOrigins(text: string): string[] {
  const origins = text.split(',').map((origin) => origin.trim()).filter(Boolean);
  if (origins.length > ORIGINS_MAX) throw new StartupError(`CODEC_CORS_ORIGINS holds more than ${ORIGINS_MAX} origins: list only the Temporal UIs that decode payloads.`);
  for (const origin of origins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) throw new StartupError(`CODEC_CORS_ORIGINS="${text}": "${origin}" is not an origin: set it like http://temporal-ui.example:8080 (scheme, host, port; no path).`);
  }
  return origins;
}

/** Case-insensitive, so that the SDK's `WARN` and pino's `warn` both work. */
function parseLogLevel(text: string): LogLevel {
  const level = text.toLowerCase();
  if (!isLogLevel(level)) throw new StartupError(`LOG_LEVEL="${text}" is not a log level: set it to one of ${LOG_LEVELS.join(', ')}.`);
  return level;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const temporalDevPort = parsePort(env, 'TEMPORAL_DEV_PORT', 7233);
  const temporalUiPort = parsePort(env, 'TEMPORAL_UI_PORT', temporalDevPort + 1000);
  return {
    host: env.HOST || '127.0.0.1',
    port: parsePort(env, 'PORT', 3000),
    databaseUrl: parseDatabaseUrl(env),
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalDevPort,
    temporalUiPort,
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'payouts',
    jwtSecret: env.AUTH_JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    jwtSecretIsDevelopment: !env.AUTH_JWT_SECRET,
    confirmWindowMs: parseDurationMs(env.PAYOUT_CONFIRM_WINDOW ?? '3d'),
    notifyWebhookUrl: env.NOTIFY_WEBHOOK_URL || undefined,
    notifyWebhookSecret: env.NOTIFY_WEBHOOK_SECRET || undefined,
    codecCorsOrigins: parseOrigins(env.CODEC_CORS_ORIGINS ?? developmentUiOrigins(temporalUiPort)),
    payloadKeys: parsePayloadKeyring(env.PAYLOAD_KEYS || undefined, env.PAYLOAD_KEY_ID || undefined),
    authTokenTtlMaxS: Math.floor(parseDurationMs(env.AUTH_MAX_TOKEN_TTL ?? '24h') / 1000),
    logLevel: parseLogLevel(env.LOG_LEVEL || 'info'),
    crashAfterOrderCommit: env.TEST_CRASH_AFTER_ORDER_COMMIT === '1',
  };
}
