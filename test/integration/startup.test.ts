/**
 * Every start-up failure of `npm start` (scripts/dev.ts, its prestart scripts/install-temporal.ts)
 * and of the separate API and worker processes says in a sentence what is wrong, which value was
 * tried and what to do, and exits non-zero without a stack. Each case starts the real entry point
 * with one bad setting; an old Node.js or Go is a stand-in script first on PATH. Ports are random
 * free ones, never the defaults that a developer's own servers may hold.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from '../../worker/temporal-dev-server';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const DEV = 'scripts/dev.ts';
const INSTALL = 'scripts/install-temporal.ts';
/** A failing start may not hang: it is killed after this and the test fails. */
const RUN_TIMEOUT_MS = 60_000;
const MARIADB_START = 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd';
/** The variables a developer's shell may hold that would change what a case tests. */
const CLEARED = ['DATABASE_URL', 'PORT', 'HOST', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'TEMPORAL_CLI_PATH', 'LOG_LEVEL', 'NODE_OPTIONS'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'startup-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Starts the entry point with free ports and the run's database, then `env` on top. */
async function run(entry: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED) delete base[name];
  const defaults = {
    PORT: String(await freePort()),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    DATABASE_URL: process.env.TEST_DATABASE_URL,
  };
  const child = spawn(TSX, [entry, ...args], { cwd: ROOT, env: { ...base, ...defaults, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Exit 1, and stderr is the one sentence (one or two lines) with no stack frame. */
function expectSentence(result: Run, ...parts: (string | RegExp)[]): void {
  expect(result.code).toBe(1);
  for (const part of parts) expect(result.stderr).toEqual(typeof part === 'string' ? expect.stringContaining(part) : expect.stringMatching(part));
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
}

async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as { port: number }).port, server };
}

/** A stand-in executable `name` in its own folder, for the front of PATH. */
function standIn(name: string, script: string): string {
  const dir = mkdtempSync(path.join(tmp, `${name}-`));
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(dir, name), 0o755);
  return dir;
}

/** PATH without any folder that holds a `go`, so Go is missing but Node.js is not. */
function pathWithoutGo(): string {
  return (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir && !existsSync(path.join(dir, 'go'))).join(path.delimiter);
}

/** A `go` that says it is `version`, with GOPATH in a fresh folder, and builds a stub CLI there. */
function fakeGo(version: string, toolchain = 'local'): { pathDir: string; gopath: string } {
  const gopath = mkdtempSync(path.join(tmp, 'gopath-'));
  const pathDir = standIn('go', [
    'case "$1" in',
    `  env) printf '\\n%s\\n%s\\n%s\\n' '${gopath}' 'go${version}' '${toolchain}' ;;`,
    `  install) mkdir -p '${gopath}/bin' && printf '#!/bin/sh\\n' > '${gopath}/bin/temporal' ;;`,
    '  *) exit 2 ;;',
    'esac',
  ].join('\n'));
  return { pathDir, gopath };
}

describe('the database', () => {
  test('no database at DATABASE_URL names the URL, the MariaDB start command and DATABASE_URL', async () => {
    const url = `mysql://root@127.0.0.1:${await freePort()}/payouts`;
    expectSentence(await run(DEV, { DATABASE_URL: url }), `No database answers at DATABASE_URL=${url} (connection refused)`, MARIADB_START, 'set DATABASE_URL');
  });

  test('LOG_LEVEL=debug adds the stack', async () => {
    const result = await run(DEV, { DATABASE_URL: `mysql://root@127.0.0.1:${await freePort()}/payouts`, LOG_LEVEL: 'debug' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No database answers at');
    expect(result.stderr).toMatch(/^\s+at /m);
  });

  test('a user without the right to create the database gets the statements to run, and no password is shown', async () => {
    const server = new URL(process.env.TEST_DATABASE_URL!);
    const user = `startup_norights_${process.pid}`;
    const admin = await mysql.createConnection(`${server.protocol}//${server.username || 'root'}${server.password ? `:${server.password}` : ''}@${server.host}/`);
    await admin.query(`create user if not exists '${user}'@'%' identified by 'secret-pw'`);
    try {
      const database = `payouts_norights_${process.pid}`;
      const url = `mysql://${user}:secret-pw@${server.host}/${database}`;
      const result = await run(DEV, { DATABASE_URL: url });
      expectSentence(result, new RegExp(`The database user '${user}'@'[^']+' may not create the database "${database}"`), `DATABASE_URL=mysql://${user}:***@`, 'GRANT ALL ON');
      expect(result.stderr).not.toContain('secret-pw');
    } finally {
      await admin.query(`drop user if exists '${user}'@'%'`);
      await admin.end();
    }
  });
});

describe('ports', () => {
  test('the Temporal dev port taken: use the running server with TEMPORAL_ADDRESS, or TEMPORAL_DEV_PORT', async () => {
    const { port, server } = await occupy();
    try {
      expectSentence(await run(DEV, { TEMPORAL_DEV_PORT: String(port) }), `Port ${port} on 127.0.0.1 (TEMPORAL_DEV_PORT) is already in use`,
        `TEMPORAL_ADDRESS=127.0.0.1:${port} npm start`, `TEMPORAL_DEV_PORT=${port + 1} npm start`);
    } finally {
      server.close();
    }
  });

  test('the Temporal UI port taken names TEMPORAL_UI_PORT', async () => {
    const { port, server } = await occupy();
    try {
      expectSentence(await run(DEV, { TEMPORAL_UI_PORT: String(port) }), `Port ${port} on 127.0.0.1 (TEMPORAL_UI_PORT) is already in use`, `TEMPORAL_UI_PORT=${port + 1}`);
    } finally {
      server.close();
    }
  });

  test.each([DEV, 'api/main.ts'])('the API port taken names PORT (%s)', async (entry) => {
    const { port, server } = await occupy();
    try {
      expectSentence(await run(entry, { PORT: String(port), TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS }),
        `Port ${port} on 127.0.0.1 (PORT) is already in use, so the API cannot listen there`, `PORT=${port + 1}`);
    } finally {
      server.close();
    }
  });
});

describe('Temporal', () => {
  test.each([DEV, 'worker/main.ts'])('a TEMPORAL_ADDRESS that does not answer is named (%s)', async (entry) => {
    const address = `127.0.0.1:${await freePort()}`;
    expectSentence(await run(entry, { TEMPORAL_ADDRESS: address }), `Temporal does not answer at TEMPORAL_ADDRESS=${address}`, 'set TEMPORAL_ADDRESS to one that runs');
  });

  test('a namespace without the search attributes gets the command that registers them', async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS!;
    const namespace = `startup-bare-${process.pid}`;
    const connection = await Connection.connect({ address });
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    } finally {
      await connection.close();
    }
    expectSentence(await run('worker/main.ts', { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace }),
      `The Temporal server at ${address} lacks the search attributes SellerId, OrderId, PayoutStatus in namespace "${namespace}"`,
      `temporal operator search-attribute create --address ${address} --namespace ${namespace} --name SellerId --type Keyword --name OrderId --type Keyword --name PayoutStatus --type Keyword`);
  });

  test('an unknown TEMPORAL_NAMESPACE gets the command that creates it', async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS!;
    expectSentence(await run('api/main.ts', { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'no-such-namespace' }),
      `has no namespace "no-such-namespace" (TEMPORAL_NAMESPACE)`, `temporal operator namespace create --address ${address} --namespace no-such-namespace`);
  });
});

describe('toolchains', () => {
  test('a Node.js outside engines is named before anything else loads', async () => {
    const preload = path.join(tmp, 'pretend-node-18.cjs');
    writeFileSync(preload, "Object.defineProperty(process.versions, 'node', { value: '18.19.0' });\n");
    const dir = standIn('node', `NODE_OPTIONS="--require ${preload}" exec '${process.execPath}' "$@"`);
    const result = await run(DEV, { PATH: `${dir}${path.delimiter}${process.env.PATH}`, DATABASE_URL: 'mysql://root@127.0.0.1:1/never-reached' });
    expectSentence(result, 'Node.js 18.19.0 is outside this project\'s engines (node ^20.19.0 || >=22.12.0)', 'Install Node.js 20 (20.19 or later)');
  });

  test.each([INSTALL, DEV])('no Go on PATH: install Go, or bring a CLI, or use a running server (%s)', async (entry) => {
    const result = await run(entry, { PATH: pathWithoutGo(), HOME: tmp });
    expectSentence(result, 'Go is not installed (no `go` on PATH)', 'Temporal CLI v1.5.1', 'Install Go 1.25.0 or later', 'TEMPORAL_CLI_PATH', 'TEMPORAL_ADDRESS');
  });

  test('a Go older than the CLI needs is named with the version it needs', async () => {
    const { pathDir, gopath } = fakeGo('1.22.5');
    const result = await run(INSTALL, { PATH: `${pathDir}${path.delimiter}${process.env.PATH}`, HOME: tmp });
    expectSentence(result, 'Go 1.22.5 is too old to build the Temporal CLI v1.5.1, whose go.mod needs Go 1.25.0 or later', 'https://go.dev/dl/');
    expect(existsSync(path.join(gopath, 'bin', 'temporal'))).toBe(false);
  });

  test('the one-time build says up front what it does and how long it takes', async () => {
    const { pathDir, gopath } = fakeGo('1.26.0');
    const result = await run(INSTALL, { PATH: `${pathDir}${path.delimiter}${process.env.PATH}` });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Temporal CLI: ${gopath}/bin/temporal is missing, so this first start builds github.com/temporalio/cli/cmd/temporal@v1.5.1 with go1.26.0`);
    expect(result.stderr).toContain('a few minutes (about 3.5 on 2 cores), once');
    expect(result.stdout.trim()).toBe(path.join(gopath, 'bin', 'temporal'));
  });

  test('npm start with TEMPORAL_ADDRESS needs no Go', async () => {
    const result = await run(INSTALL, { PATH: pathWithoutGo(), HOME: tmp, TEMPORAL_ADDRESS: '127.0.0.1:1' }, ['--unless-temporal-address']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('settings', () => {
  test.each([
    ['PORT', 'abc', 'PORT="abc" is not a port number'],
    ['DATABASE_URL', 'mysql://app:secret-pw@127.0.0.1:3306/pay-outs', 'DATABASE_URL="mysql://app:***@127.0.0.1:3306/pay-outs" is not a URL that names a database of [A-Za-z0-9_]'],
  ])('%s=%s is named with the form it needs', async (name, value, sentence) => {
    const result = await run(DEV, { [name]: value });
    expectSentence(result, sentence);
    expect(result.stderr).not.toContain('secret-pw');
  });
});
