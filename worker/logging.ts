/**
 * The worker's logs through the project's pino logger (logger.ts): the Temporal SDK's own lines,
 * those of workflows (`log` from @temporalio/workflow) and activities (`log` from
 * @temporalio/activity), which the SDK gives the workflow id, run id, type and task queue, and, at
 * `debug` and `trace`, the Rust core's, forwarded. One JSON line format for the whole process, but
 * for the core's own lines at `info` and above (installRuntimeLogging).
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
  const leastAt = SDK_LEVELS.indexOf(least);
  const log = (level: SdkLevel, message: string, meta: LogMetadata = {}) => {
    // Asked before the line's fields are copied: the SDK traces every activation with the whole activation.
    if (SDK_LEVELS.indexOf(level) < leastAt || !logger.isLevelEnabled(PINO_LEVEL[level])) return;
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
 * Installs the SDK's runtime with `logger`. At `debug` and `trace` the core's lines are forwarded to
 * it, so that every line of the process is pino's; at `info` and above the core writes its own (a
 * few at start-up and shutdown, warnings, errors) as JSON lines of its own shape (`timestamp`,
 * `level`, `fields` with the `message`) on stdout. Forwarding puts the runtime's logger behind the
 * SDK's collector, which takes every line at every level, the SDK's per-task `trace` and `debug` ones
 * included, and sorts them by time for 100 ms before handing them on: a cost on every workflow
 * task and activity for lines that `info` drops (issue 18: about 0.4 profiled ms of a hot seller's
 * create). For the worker process and `npm start` only: forwarding keeps native threads that hold
 * a process open after its work is done, so Jest, whose tests install a quiet runtime of their own
 * (test/support), must never call this.
 */
export function installRuntimeLogging(logger: Logger): void {
  const level = coreLevel(logger.level as LogLevel);
  const sink = level === 'TRACE' || level === 'DEBUG' ? { forward: {} } : { console: { format: 'json' as const } };
  Runtime.install({
    logger: sdkLogger(logger),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }), ...sink } },
  });
}

/** The core knows no `fatal` or `silent`: its errors are the least it can be asked for. */
function coreLevel(level: LogLevel): SdkLevel {
  return level === 'fatal' || level === 'silent' ? 'ERROR' : (level.toUpperCase() as SdkLevel);
}
