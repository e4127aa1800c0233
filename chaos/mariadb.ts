/**
 * A private MariaDB instance for fault runs: its own data directory and port on 127.0.0.1, so
 * that restarting it disturbs nothing else on the machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { stopProcess } from '../worker/temporal-dev-server';

const STARTUP_TIMEOUT_MS = 60_000;

export class PrivateMariaDb {
  private process: ChildProcess | undefined;

  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  get serverUrl(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  /** Creates a fresh data directory and starts the server. */
  async create(): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true });
    execFileSync('mariadb-install-db', [
      '--no-defaults', `--datadir=${this.dataDir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db',
    ], { stdio: 'ignore' });
    await this.start();
  }

  async start(): Promise<void> {
    const log = openSync(path.join(this.dataDir, 'server.log'), 'a');
    this.process = spawn('mariadbd', [
      '--no-defaults', `--datadir=${this.dataDir}`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${path.join(this.dataDir, 'mysqld.sock')}`, '--user=root', '--skip-log-bin', '--innodb-buffer-pool-size=256M',
      '--max-connections=500',
    ], { stdio: ['ignore', log, log] });
    const child = this.process;
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    await this.waitUntilServing();
  }

  /** A clean shutdown (SIGTERM), as an operator's restart would do. */
  async stop(): Promise<void> {
    if (this.process) await stopProcess(this.process, 'SIGTERM');
    this.process = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async waitUntilServing(): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      try {
        const connection = await mysql.createConnection(`${this.serverUrl}/`);
        await connection.end();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`MariaDB on port ${this.port} did not start: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}
