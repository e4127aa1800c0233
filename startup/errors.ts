/**
 * Start-up failures in one place. Each known cause becomes one or two sentences that name the
 * cause, the value that was tried and the fix; README's troubleshooting section repeats them.
 * Every entry point ends in `exitOnStartupError`, so a newcomer reads a sentence instead of a stack.
 * This module imports nothing heavy: the Node.js version check uses it before anything else loads.
 */

/** A failure whose message is already the sentence to show. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** README's command to start the local MariaDB. */
export const MARIADB_START_COMMAND = 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd';

const GO_DOWNLOAD_URL = 'https://go.dev/dl/';

/** A fix for every Temporal CLI problem: either bring a binary, or use a server that runs. */
const CLI_ALTERNATIVES = 'or set TEMPORAL_CLI_PATH to a temporal binary you have, or TEMPORAL_ADDRESS to a Temporal server that runs';

export type PortVariable = 'PORT' | 'TEMPORAL_DEV_PORT' | 'TEMPORAL_UI_PORT';

export function nodeUnsupported(version: string, range: string): StartupError {
  return new StartupError(
    `Node.js ${version} is outside this project's engines (node ${range}). ` +
      'Install Node.js 20 (20.19 or later) or 22 (22.12 or later), e.g. `nvm install 22`, and start again.',
  );
}

/** The URL as it may be printed: without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Unparsable: whatever stands between "user:" and "@" is taken for the password.
    return url.replace(/\/\/([^:@/]*):[^@]*@/, '//$1:***@');
  }
}

/** Network failures that mean nothing answers at the address, in words. */
const UNANSWERED: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  ETIMEDOUT: 'no answer in time',
  EHOSTUNREACH: 'host unreachable',
};

/** Why a connection got no answer, in words, or the error's message. */
export function unansweredReason(err: unknown): string {
  const code = errorCode(err) ?? '';
  return Object.hasOwn(UNANSWERED, code) ? UNANSWERED[code] : err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  const { code, errors } = (err ?? {}) as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect reports an AggregateError of one error per address tried.
  return Array.isArray(errors) ? errorCode(errors[0]) : undefined;
}

/** The database's failures while connecting or creating the database, or undefined if unknown. */
export function databaseFailure(err: unknown, databaseUrl: string): StartupError | undefined {
  const shown = `DATABASE_URL=${redactUrl(databaseUrl)}`;
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  const detail = err instanceof Error ? err.message : String(err);
  const code = errorCode(err) ?? '';
  if (Object.hasOwn(UNANSWERED, code)) {
    return new StartupError(
      `No database answers at ${shown} (${UNANSWERED[code]}). Start MariaDB with ` +
        `\`${MARIADB_START_COMMAND}\`, or set DATABASE_URL to a running MySQL or MariaDB, e.g. mysql://user:password@host:3306/payouts.`,
      { cause: err },
    );
  }
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
      return new StartupError(`The database refused to log in with ${shown} (${detail}). Fix the user or password in DATABASE_URL.`, { cause: err });
    case 'ER_DBACCESS_DENIED_ERROR': {
      const account = /user ('[^']*'@'[^']*')/.exec(detail)?.[1] ?? `'${decodeURIComponent(url.username)}'@'%'`;
      return new StartupError(
        `The database user ${account} may not create the database "${name}" (${shown}). ` +
          `Create it once as an administrator: CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; ` +
          `GRANT ALL ON \`${name}\`.* TO ${account}; or put a user with that right in DATABASE_URL.`,
        { cause: err },
      );
    }
    default:
      return undefined;
  }
}

export function portInUse(port: number, host: string, variable: PortVariable): StartupError {
  const other = port + 1;
  switch (variable) {
    case 'PORT':
      return new StartupError(
        `Port ${port} on ${host} (PORT) is already in use, so the API cannot listen there. ` +
          `Stop what holds it (\`ss -ltnp 'sport = :${port}'\` names it) or choose another port, e.g. PORT=${other}.`,
      );
    case 'TEMPORAL_DEV_PORT':
      return new StartupError(
        `Port ${port} on ${host} (TEMPORAL_DEV_PORT) is already in use, so npm start cannot run its Temporal dev server there. ` +
          `If a Temporal server runs there, use it: TEMPORAL_ADDRESS=${host}:${port} npm start; or run the dev server on another port: TEMPORAL_DEV_PORT=${other} npm start.`,
      );
    case 'TEMPORAL_UI_PORT':
      return new StartupError(
        `Port ${port} on ${host} (TEMPORAL_UI_PORT) is already in use, so the Temporal dev server's web UI cannot listen there. ` +
          `Choose another port, e.g. TEMPORAL_UI_PORT=${other}, or set TEMPORAL_ADDRESS to use a Temporal server that runs.`,
      );
  }
}

export function temporalUnreachable(address: string, configured: boolean, detail: string, cause?: unknown): StartupError {
  const value = configured ? `TEMPORAL_ADDRESS=${address}` : `${address} (TEMPORAL_ADDRESS is unset)`;
  return new StartupError(
    `Temporal does not answer at ${value}: ${detail}. Start a Temporal server there (\`temporal server start-dev --port <port>\`) ` +
      'or set TEMPORAL_ADDRESS to one that runs; `npm start` runs its own dev server when TEMPORAL_ADDRESS is unset.',
    { cause },
  );
}

export function namespaceMissing(address: string, namespace: string): StartupError {
  return new StartupError(
    `The Temporal server at ${address} has no namespace "${namespace}" (TEMPORAL_NAMESPACE). ` +
      `Create it: \`temporal operator namespace create --address ${address} --namespace ${namespace}\`, or set TEMPORAL_NAMESPACE to one that exists.`,
  );
}

export interface SearchAttribute {
  name: string;
  type: string;
}

export function searchAttributesMissing(address: string, namespace: string, missing: SearchAttribute[]): StartupError {
  const names = missing.map((attribute) => attribute.name).join(', ');
  const flags = missing.map((attribute) => `--name ${attribute.name} --type ${attribute.type}`).join(' ');
  return new StartupError(
    `The Temporal server at ${address} lacks the search attributes ${names} in namespace "${namespace}", which every payout sets. ` +
      `Register them once: \`temporal operator search-attribute create --address ${address} --namespace ${namespace} ${flags}\`.`,
  );
}

/** The dev server's own ports, to name the variable when its log says one was taken. */
export interface DevServerPorts {
  host: string;
  port: number;
  uiPort?: number;
}

export function devServerExited(code: number | null, ports: DevServerPorts, logFile?: string, logTail?: string): StartupError {
  const taken = Number(/:(\d+): bind: address already in use/.exec(logTail ?? '')?.[1]);
  if (taken === ports.port) return portInUse(taken, ports.host, 'TEMPORAL_DEV_PORT');
  if (taken === ports.uiPort) return portInUse(taken, ports.host, 'TEMPORAL_UI_PORT');
  const log = logTail ? ` Its log (${logFile}) ends: ${logTail}` : logFile ? ` Its log is ${logFile}.` : '';
  return new StartupError(`The Temporal dev server exited with code ${code} while starting.${log}`);
}

export function goMissing(cli: string, goVersionMin: string): StartupError {
  return new StartupError(
    `Go is not installed (no \`go\` on PATH), and the first start builds the Temporal CLI ${cli} with it. ` +
      `Install Go ${goVersionMin} or later (${GO_DOWNLOAD_URL}), ${CLI_ALTERNATIVES}.`,
  );
}

export function goTooOld(goVersion: string, cli: string, goVersionMin: string): StartupError {
  return new StartupError(
    `Go ${goVersion} is too old to build the Temporal CLI ${cli}, whose go.mod needs Go ${goVersionMin} or later. ` +
      `Install a newer Go (${GO_DOWNLOAD_URL}), ${CLI_ALTERNATIVES}.`,
  );
}

export function goInstallFailed(command: string, options?: { cause?: unknown }): StartupError {
  return new StartupError(
    `Building the Temporal CLI failed (\`${command}\`; Go's own message is above). ` +
      `Check that Go can reach proxy.golang.org (or your GOPROXY), ${CLI_ALTERNATIVES}.`,
    options,
  );
}

export function cliPathMissing(cliPath: string): StartupError {
  return new StartupError(`TEMPORAL_CLI_PATH=${cliPath} names no file. Point it at a temporal binary, or unset it to have Go build one.`);
}

/** Printed before the one-time build, which would otherwise look like a hang. */
export function cliBuildNotice(binary: string, target: string, goVersion: string): string {
  return (
    `Temporal CLI: ${binary} is missing, so this first start builds ${target} with ${goVersion} (go install). ` +
    'It takes a few minutes (about 3.5 on 2 cores), once; later starts find it there.'
  );
}

/** LOG_LEVEL is read here, not from the configuration: a failure may come before it is loaded. */
function stackWanted(): boolean {
  return /^(debug|trace)$/i.test(process.env.LOG_LEVEL ?? '');
}

/**
 * The end of every entry point: prints the sentence for a known failure (and for any other its
 * message), the stack only with LOG_LEVEL=debug, and exits non-zero.
 */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof StartupError) {
    console.error(err.message);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`Start-up failed: ${message}${stackWanted() ? '' : ' (LOG_LEVEL=debug prints the stack)'}`);
  }
  if (stackWanted()) {
    if (err instanceof Error) console.error(err.stack);
    if (err instanceof Error && err.cause) console.error('caused by:', err.cause);
  }
  process.exit(1);
}
