/**
 * The worker's logs through the project's pino logger (logger.ts): the Temporal SDK's own lines,
 * those of workflows (`log` from @temporalio/workflow) and activities (`log` from
 * @temporalio/activity), which the SDK gives the workflow id, run id, type and task queue, and the
 * Rust core's, forwarded. One JSON line format for the whole process.
 */
import { Runtime, makeTelemetryFilterString, type LogLevel as SdkLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger, LogLevel } from '../logger';

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const SDK_LEVELS: readonly SdkLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * The SDK's Logger over pino: the SDK's metadata become the line's fields, its `error` pino's `err`.
 * Levels below `least` are dropped whatever the logger's level (the bundler's chatter).
 */
export function sdkLogger(logger: Logger, least: SdkLevel = 'TRACE'): SdkLogger {
  const log = (level: SdkLevel, message: string, meta: LogMetadata = {}) => {
    if (SDK_LEVELS.indexOf(level) < SDK_LEVELS.indexOf(least)) return;
    const { error, ...fields } = meta;
    logger[PINO_LEVEL[level]](error === undefined ? fields : { ...fields, err: error }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * Installs the SDK's runtime with `logger`, the core's lines forwarded to it at the logger's level.
 * For the worker process only (worker/main.ts, `npm start`): forwarding keeps native threads that
 * hold a process open after its work is done, so Jest, whose tests install a quiet runtime of their
 * own (test/support), must never call this.
 */
export function installRuntimeLogging(logger: Logger): void {
  Runtime.install({
    logger: sdkLogger(logger),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: coreLevel(logger.level as LogLevel) }), forward: {} } },
  });
}

/** The core knows no `fatal` or `silent`: its errors are the least it can be asked for. */
function coreLevel(level: LogLevel): SdkLevel {
  return level === 'fatal' || level === 'silent' ? 'ERROR' : (level.toUpperCase() as SdkLevel);
}
