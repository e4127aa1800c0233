/**
 * The one log format of the API and the worker (pino): a JSON object per line on stdout, with
 * `time` (ISO 8601, UTC), `level` as a word, `service`, `pid`, `hostname`, `msg`, and the line's own
 * fields: `reqId` on every line of an HTTP request, `workflowId` (and the activity) on every line
 * logged inside a workflow or an activity.
 *
 * The levels mean what they say:
 * - `error`: someone must act (a defect answered with a 500, cards given up on after days of retries,
 *   a schedule that could not be created);
 * - `warn`: a failure the service recovers from by itself (a dependency down, answered with 503;
 *   a sweep that will retry; a hand-over left to the sweep);
 * - `info`: what normally happens (each request, start-up, the worker's state);
 * - `debug` and `trace`: detail (the SDK's per-task lines, a payout refused for a SPEC reason).
 *
 * `LOG_LEVEL` (config.ts) is the least level written; `silent` writes nothing.
 */
import { hostname } from 'node:os';
import pino, { type LevelWithSilent, type Logger } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** The process's logger; `service` names the process that wrote the line (`api`, `worker`, `dev`). */
export function createLogger(level: LogLevel, service: string): Logger {
  return pino({
    level,
    base: { service, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
