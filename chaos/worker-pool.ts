/**
 * The workers of a fault run, as child processes kept alive by a supervisor (a killed worker is
 * replaced, as an orchestrator would do), except during an outage window in which every worker is
 * down and none is started.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_READY_LINE, spawnService, type Service } from '../test/support/processes';

const SUPERVISE_EVERY_MS = 300;

const isAlive = (w: Service) => w.child.exitCode === null && w.child.signalCode === null;

export class WorkerPool {
  private readonly workers: Service[] = [];
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
   * SIGKILLs one polling worker (it logged its ready line): no graceful shutdown, its tasks time
   * out and move to another. Only while another worker polls too (unless the pool has one worker):
   * on two busy cores a worker takes 5–7 s from spawn to its first poll, so a kill every 4 s of
   * whatever ran killed workers still starting and left the task queue without a poller most of
   * the time — the load crawled and long runs stalled. The all-workers-down window is the fault for
   * no poller at all. Answers whether a worker was killed (false: not yet, try again later).
   */
  killOne(): boolean {
    const polling = this.workers.filter((w) => isAlive(w) && w.isReady);
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
    await Promise.all(this.workers.filter(isAlive).map((w) => w.stop('SIGKILL')));
    await sleep(Math.max(0, this.downUntil - Date.now()));
    this.allDownMs += Date.now() - downSince;
  }

  async stop(): Promise<void> {
    this.supervising = false;
    await this.loop;
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  private async supervise(): Promise<void> {
    while (this.supervising) {
      for (let i = this.workers.length - 1; i >= 0; i--) {
        if (!isAlive(this.workers[i])) this.workers.splice(i, 1);
      }
      while (!this.allDown && this.workers.length < this.size) {
        // At info, so that the ready line is logged at all; only warnings and errors reach chaos's stderr.
        const env = { ...this.env, LOG_LEVEL: 'info' };
        this.workers.push(spawnService({ name: 'worker', entry: 'worker/main.ts', env, readyLine: WORKER_READY_LINE, logsFrom: 'warn' }));
        this.started++;
      }
      await sleep(SUPERVISE_EVERY_MS);
    }
  }
}
