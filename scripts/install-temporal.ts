// Installs the Temporal CLI (which holds `temporal server start-dev`) with `go install` when it is
// missing. Idempotent and quick when the binary is there: it lives in Go's own bin folder, outside
// the repository, so a fresh clone finds it instead of building it again (the first build takes
// several minutes on two cores). Run as a script it prints the binary's path on its last line;
// `--unless-temporal-address` (npm start's prestart) does nothing when TEMPORAL_ADDRESS names a
// server, since then no dev server runs and Go is not needed.
import '../startup/node-version';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import coerce from 'semver/functions/coerce';
import lt from 'semver/functions/lt';
import { cliBuildNotice, cliPathMissing, exitOnStartupError, goInstallFailed, goMissing, goTooOld } from '../startup/errors';

const MODULE = 'github.com/temporalio/cli/cmd/temporal';
// v1.5.1 is the last release without `replace` directives, which `go install` refuses.
const VERSION = 'v1.5.1';
// The `go` directive of github.com/temporalio/cli v1.5.1's go.mod
// (`go mod download -json github.com/temporalio/cli@v1.5.1` shows where it is).
const GO_VERSION_MIN = '1.25.0';
// From Go 1.21 on, `go` fetches the toolchain a module asks for, unless GOTOOLCHAIN forbids it.
const GO_TOOLCHAIN_SWITCH_MIN = '1.21.0';

interface GoEnv {
  gobin: string;
  gopath: string;
  goversion: string;
  gotoolchain: string;
}

/** Undefined when there is no `go` on PATH. */
function readGoEnv(): GoEnv | undefined {
  try {
    const out = execFileSync('go', ['env', 'GOBIN', 'GOPATH', 'GOVERSION', 'GOTOOLCHAIN'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const [gobin = '', gopath = '', goversion = '', gotoolchain = ''] = out.split('\n').map((line) => line.trim());
    return { gobin, gopath: gopath.split(path.delimiter)[0], goversion, gotoolchain };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Refuses a Go that cannot build the CLI, unless Go will fetch the toolchain it needs itself. */
function assertGoCanBuild(go: GoEnv): void {
  const version = coerce(go.goversion.replace(/^go/, ''));
  if (!version || !lt(version, GO_VERSION_MIN)) return;
  const switches = !lt(version, GO_TOOLCHAIN_SWITCH_MIN) && /(^|\+)auto$/.test(go.gotoolchain);
  if (!switches) throw goTooOld(version.version, VERSION, GO_VERSION_MIN);
  console.error(`Go ${version.version} will first download the Go ${GO_VERSION_MIN} toolchain the Temporal CLI needs (GOTOOLCHAIN=${go.gotoolchain}).`);
}

/** The path of the Temporal CLI, built once with `go install` when it is missing. */
export function ensureTemporalCli(): string {
  const given = process.env.TEMPORAL_CLI_PATH;
  if (given) {
    if (!existsSync(given)) throw cliPathMissing(given);
    return given;
  }
  const go = readGoEnv();
  if (!go) {
    // Without Go, a CLI built earlier in Go's default bin folder still serves.
    const fallback = path.join(os.homedir(), 'go', 'bin', 'temporal');
    if (existsSync(fallback)) return fallback;
    throw goMissing(VERSION, GO_VERSION_MIN);
  }
  const binary = path.join(go.gobin || path.join(go.gopath, 'bin'), 'temporal');
  if (existsSync(binary)) return binary;
  assertGoCanBuild(go);
  const target = `${MODULE}@${VERSION}`;
  console.error(cliBuildNotice(binary, target, go.goversion));
  try {
    execFileSync('go', ['install', target], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    throw goInstallFailed(`go install ${target}`, { cause: err });
  }
  if (!existsSync(binary)) throw goInstallFailed(`go install ${target}`);
  return binary;
}

if (require.main === module) {
  try {
    if (!(process.argv.includes('--unless-temporal-address') && process.env.TEMPORAL_ADDRESS)) console.log(ensureTemporalCli());
  } catch (err) {
    exitOnStartupError(err);
  }
}
