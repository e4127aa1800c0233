/**
 * The fault run's API: one child process on a port that stays the same across restarts, so that
 * the clients' base URL holds. It is SIGKILLed (no graceful close: requests under way lose their
 * answer, and the clients retry with their keys) and started again at once, as an orchestrator
 * would restart it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnService, type Service } from '../test/support/processes';

/** How long one start may take until /healthz answers (tsx compiles on the fly, on busy cores). */
const START_MS_MAX = 60_000;
const POLL_MS = 200;
const RETRY_START_MS = 1_000;

const isAlive = (s: Service) => s.child.exitCode === null && s.child.signalCode === null;

export class ApiServer {
  private service: Service | undefined;
  kills = 0;
  /** From each kill until the new process answered. */
  downMs = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly port: number,
  ) {}

  /**
   * Starts the API and waits until it answers. A start that fails (the API checks Temporal and the
   * database before it listens, and either may be restarting) is tried again until `deadline`.
   */
  async start(deadline: number): Promise<void> {
    for (;;) {
      // Its JSON log lines (LOG_LEVEL=ERROR) go to chaos's stderr; it is ready when it answers.
      const service = spawnService({ name: 'api', entry: 'api/main.ts', env: this.env });
      this.service = service;
      if (await this.answers(service)) return;
      await service.stop('SIGKILL');
      if (Date.now() >= deadline) throw new Error(`the API did not answer on port ${this.port} before the time limit`);
      await sleep(RETRY_START_MS);
    }
  }

  /** SIGKILLs the API and starts another on the same port. */
  async killAndRestart(deadline: number): Promise<void> {
    const since = Date.now();
    if (this.service) await this.service.stop('SIGKILL');
    this.kills++;
    // A kill comes before the time limit; the new process gets a whole start even so.
    await this.start(Math.max(deadline, Date.now() + START_MS_MAX));
    this.downMs += Date.now() - since;
  }

  async stop(): Promise<void> {
    await this.service?.stop();
  }

  private async answers(service: Service): Promise<boolean> {
    const until = Date.now() + START_MS_MAX;
    while (Date.now() < until && isAlive(service)) {
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      if (res?.ok) return true;
      await sleep(POLL_MS);
    }
    return false;
  }
}
