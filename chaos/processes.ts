/**
 * The service's processes during a fault run: the API and a set of workers as child processes,
 * kept alive by a supervisor (a killed worker is replaced, as an orchestrator would do), except
 * during an outage window in which every worker is down and none is started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopProcess } from '../worker/temporal-dev-server';
import { sleep } from './http';

const ROOT = path.join(__dirname, '..');
const SUPERVISE_EVERY_MS = 300;

export function spawnService(entry: 'api/main.ts' | 'worker/main.ts', env: NodeJS.ProcessEnv): ChildProcess {
  // The child's log lines (stdout, JSON, LOG_LEVEL=ERROR) join chaos's stderr: chaos's stdout is its report.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { env, stdio: ['ignore', process.stderr, 'inherit'] });
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

const isAlive = (w: ChildProcess) => w.exitCode === null && w.signalCode === null;

export class WorkerPool {
  private readonly workers: ChildProcess[] = [];
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

  /** SIGKILL one running worker: no graceful shutdown, its tasks time out and move to another. */
  killOne(): void {
    const alive = this.workers.filter(isAlive);
    const victim = alive[Math.floor(Math.random() * alive.length)];
    if (!victim) return;
    victim.kill('SIGKILL');
    this.killed++;
  }

  /**
   * SIGKILLs every worker and starts none for `ms`: Temporal holds what arrives meanwhile (the
   * decisions answered 202) until the supervisor starts workers again.
   */
  async allDownFor(ms: number): Promise<void> {
    const downSince = Date.now();
    this.downUntil = downSince + ms;
    await Promise.all(this.workers.filter(isAlive).map((w) => stopProcess(w, 'SIGKILL')));
    await sleep(Math.max(0, this.downUntil - Date.now()));
    this.allDownMs += Date.now() - downSince;
  }

  async stop(): Promise<void> {
    this.supervising = false;
    await this.loop;
    await Promise.all(this.workers.map((w) => stopProcess(w)));
  }

  private async supervise(): Promise<void> {
    while (this.supervising) {
      for (let i = this.workers.length - 1; i >= 0; i--) {
        if (!isAlive(this.workers[i])) this.workers.splice(i, 1);
      }
      while (!this.allDown && this.workers.length < this.size) {
        this.workers.push(spawnService('worker/main.ts', this.env));
        this.started++;
      }
      await sleep(SUPERVISE_EVERY_MS);
    }
  }
}
