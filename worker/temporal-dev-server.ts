/**
 * Starts `temporal server start-dev` from the CLI binary that scripts/install-temporal.ts
 * installs, with the product's search attributes registered, and waits until it answers.
 * Used by `npm start`, the tests, the chaos run and the benchmark.
 */
import { Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { ensureTemporalCli } from '../scripts/install-temporal';
import { devServerExited } from '../startup/errors';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes';

export interface DevServerOptions {
  port?: number;
  /** Web UI port; omitted: headless. */
  uiPort?: number;
  /** The UI's remote codec endpoint (`--ui-codec-endpoint`), so that it shows payloads decrypted. */
  uiCodecEndpoint?: string;
  /** Persist to this SQLite file; omitted: in memory. */
  dbFile?: string;
  /** SQLite pragmas, e.g. journal_mode=WAL, synchronous=OFF for tests. */
  sqlitePragmas?: string[];
  /** Where the server's own log goes; omitted: discarded. */
  logFile?: string;
  /**
   * How long the `default` namespace keeps closed workflows, e.g. '30 days'; omitted: the dev
   * server's default (a day). `start-dev` has no flag for it, so it is set once the server answers.
   */
  retention?: Duration;
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** How long a fresh dev server may take to answer its first call. */
const STARTUP_TIMEOUT_MS = 60_000;

/** How much of the last line of the server's log a start-up failure quotes. */
const LOG_TAIL_CHARS_MAX = 400;

export function temporalBinary(): string {
  return ensureTemporalCli();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.uiPort && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const pragma of options.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  for (const attribute of SEARCH_ATTRIBUTE_FLAGS) args.push('--search-attribute', attribute);
  // Where this run's part of an appended log begins, so a failure quotes this run only.
  const logStart = options.logFile && existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const log = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', log, log] });
  // The dev server never outlives the process that started it, however that process ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const address = `127.0.0.1:${port}`;
  await waitUntilServing(address, child).catch((err) => {
    throw child.exitCode === null ? err : devServerExited(child.exitCode, { host: '127.0.0.1', port, uiPort: options.uiPort }, options.logFile, logTail(options.logFile, logStart));
  });
  if (options.retention) await setRetention(address, options.retention);
  return {
    address,
    process: child,
    stop: () => stopProcess(child),
  };
}

async function waitUntilServing(address: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited with ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`temporal dev server at ${address} did not answer: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function logTail(logFile: string | undefined, from: number): string | undefined {
  if (!logFile || !existsSync(logFile)) return undefined;
  const lines = readFileSync(logFile).subarray(from).toString('utf8').trim().split('\n');
  return lines[lines.length - 1] ? lines[lines.length - 1].slice(0, LOG_TAIL_CHARS_MAX) : undefined;
}

async function setRetention(address: string, retention: Duration): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({ namespace: 'default', config: { workflowExecutionRetentionTtl: msToTs(retention) } });
  } finally {
    await connection.close();
  }
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
