/**
 * The harness's child processes, for the tests, the chaos run and the benchmark alike: a service
 * (`api/main.ts`, `worker/main.ts`, or the benchmark's own) started with tsx, known ready by the
 * line it prints on stdout, and killed with this process however that ends (a watchdog, Ctrl-C, a
 * crash), so that no run leaves a child behind.
 *
 * The product's processes log pino JSON lines (logger.ts): their ready line is the `msg` of an info
 * line, so a worker whose readiness matters runs at LOG_LEVEL=info, and `logsFrom` keeps the lines
 * below the wanted level out of the harness's stderr. The API is ready when /healthz answers
 * (`waitForHttp`), so that it may run at a level that leaves out its line per request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopProcess } from '../../worker/temporal-dev-server';

const ROOT = path.join(__dirname, '..', '..');

/** Logged (info) by worker/main.ts once its worker is built and about to poll. */
export const WORKER_READY_LINE = 'worker: polling';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** How long a child may take from spawn to its ready line (tsx compiles on the fly). */
const READY_TIMEOUT_MS = 60_000;

export interface SpawnOptions {
  /** Prefixes the child's output once it is ready, and names it in errors. */
  name: string;
  /** A TypeScript entry point, relative to the repository root. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /**
   * The child is ready once it prints a stdout line starting with this, or a JSON log line whose
   * `msg` does (at info: the child must log info then); omitted: at once.
   */
  readyLine?: string;
  /** JSON log lines below this level are read for the ready line but not passed on; omitted: all are. */
  logsFrom?: 'info' | 'warn' | 'error';
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
}

export interface Service {
  name: string;
  child: ChildProcess;
  /** Settles when the ready line arrives; rejects when the child exits or is silent for too long first. */
  ready: Promise<void>;
  /** The ready line has arrived. */
  readonly isReady: boolean;
  /** SIGTERM (or `signal`), then SIGKILL after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a service without waiting for it; `ready` says when it is. */
export function spawnService(options: SpawnOptions): Service {
  const args = [...(options.nodeFlags ?? []), '--import', 'tsx', path.join(ROOT, options.entry)];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const service: Service = {
    name: options.name,
    child,
    ready: Promise.resolve(),
    isReady: options.readyLine === undefined,
    stop: (signal) => stopProcess(child, signal),
  };
  service.ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => settle(new Error(`${options.name} printed no "${options.readyLine}" within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => settle(new Error(`${options.name} exited (${code ?? signal}) before it was ready`));
    function settle(err?: Error) {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      if (err) return reject(err);
      (service as { isReady: boolean }).isReady = true;
      resolve();
    }
    // Every line passed on to stderr, prefixed, so that warnings stay visible (and stdout stays the harness's).
    lines.on('line', (line) => {
      const log = logLine(line);
      if (!service.isReady && (log?.msg ?? line).startsWith(options.readyLine!)) settle();
      // pino's levels are words in lower case; the worker's core writes its own lines with upper case ones (worker/logging.ts).
      if (!log || !options.logsFrom || LEVELS.indexOf((log.level ?? '').toLowerCase()) >= LEVELS.indexOf(options.logsFrom)) {
        process.stderr.write(`[${options.name}] ${line}\n`);
      }
    });
    if (options.readyLine === undefined) return settle();
    child.once('exit', onExit);
  });
  // A child killed while it starts (the chaos run does) is no unhandled rejection; callers that await `ready` still see it.
  service.ready.catch(() => undefined);
  return service;
}

/** A pino JSON line's level and message; undefined for any other line. */
function logLine(line: string): { level?: string; msg?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { level?: string; msg?: string };
  } catch {
    return undefined;
  }
}

/** Starts a service and waits for its ready line. */
export async function startService(options: SpawnOptions): Promise<Service> {
  const service = spawnService(options);
  try {
    await service.ready;
  } catch (err) {
    await service.stop('SIGKILL');
    throw err;
  }
  return service;
}

/** Polls `url` until it answers 2xx. */
export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined))?.ok) return;
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
