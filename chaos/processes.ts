/**
 * The service's processes during a fault run: the API and a set of workers as child processes,
 * kept alive by a supervisor (a killed worker is replaced, as an orchestrator would do), except
 * during an outage window in which every worker is down and none is started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcess } from '../worker/temporal-dev-server';
import { sleep } from './http';

const ROOT = path.join(__dirname, '..');
const SUPERVISE_EVERY_MS = 300;
/** The message worker/main.ts logs (info) once its worker is built and about to poll. */
const WORKER_READY_MSG = 'worker: polling';
/** Read for the ready message, not passed on: the workers run at info for it. */
const QUIET_LEVELS = new Set(['trace', 'debug', 'info']);

/** A pino JSON line's level and message, or undefined for any other line. */
function logLine(line: string): { level?: string; msg?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { level?: string; msg?: string };
  } catch {
    return undefined;
  }
}

/**
 * Spawns a service. Its stdout lines (JSON logs) join chaos's stderr, except those below warn,
 * so that chaos's stdout stays its report; `onLine` hears each line first, whatever its level.
 */
export function spawnService(entry: 'api/main.ts' | 'worker/main.ts', env: NodeJS.ProcessEnv, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    onLine?.(line);
    if (!QUIET_LEVELS.has(logLine(line)?.level ?? '')) process.stderr.write(`${line}\n`);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return child;
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

interface PoolWorker {
  child: ChildProcess;
  /** It logged its ready message: built, connected, and polling its task queue. */
  polling: boolean;
}

const isAlive = (w: PoolWorker) => w.child.exitCode === null && w.child.signalCode === null;

export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private supervising = false;
  private loop: Promise<void> | undefined;
  /** Set during an outage: the supervisor starts no worker until then. */
  private downUntil = 0;
  started = 0;
  killed = 0;
  /** Milliseconds during which no worker process ran (outage windows). */
  allDownMs = 0;

  constructor(
    private readonly size: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(): void {
    this.supervising = true;
    this.loop = this.supervise();
  }

  /** True while an outage window keeps every worker down. */
  get allDown(): boolean {
    return Date.now() < this.downUntil;
  }

  /**
   * SIGKILLs one polling worker: no graceful shutdown, its tasks time out and move to another.
   * Only while another worker polls too (unless the pool has one worker): on two busy cores a
   * worker takes 5–7 s from spawn to its first poll, so a kill every 4 s of whatever ran killed
   * workers still starting and left the task queue without a poller most of the time — the load
   * crawled and long runs stalled. The all-workers-down window is the fault for no poller at all.
   * Answers whether a worker was killed (false: not yet, try again later).
   */
  killOne(): boolean {
    const polling = this.workers.filter((w) => isAlive(w) && w.polling);
    if (polling.length < Math.min(2, this.size)) return false;
    const victim = polling[Math.floor(Math.random() * polling.length)];
    victim.child.kill('SIGKILL');
    this.killed++;
    return true;
  }

  /**
   * SIGKILLs every worker and starts none for `ms`: Temporal holds what arrives meanwhile (the
   * decisions answered 202) until the supervisor starts workers again.
   */
  async allDownFor(ms: number): Promise<void> {
    const downSince = Date.now();
    this.downUntil = downSince + ms;
    await Promise.all(this.workers.filter(isAlive).map((w) => stopProcess(w.child, 'SIGKILL')));
    await sleep(Math.max(0, this.downUntil - Date.now()));
    this.allDownMs += Date.now() - downSince;
  }

  async stop(): Promise<void> {
    this.supervising = false;
    await this.loop;
    await Promise.all(this.workers.map((w) => stopProcess(w.child)));
  }

  private async supervise(): Promise<void> {
    while (this.supervising) {
      for (let i = this.workers.length - 1; i >= 0; i--) {
        if (!isAlive(this.workers[i])) this.workers.splice(i, 1);
      }
      while (!this.allDown && this.workers.length < this.size) {
        // At info, so that the ready message is written at all; spawnService passes on warn and above only.
        const env = { ...this.env, LOG_LEVEL: 'info' };
        const worker: PoolWorker = { child: spawnService('worker/main.ts', env, (line) => {
          if (logLine(line)?.msg?.startsWith(WORKER_READY_MSG)) worker.polling = true;
        }), polling: false };
        this.workers.push(worker);
        this.started++;
      }
      await sleep(SUPERVISE_EVERY_MS);
    }
  }
}
