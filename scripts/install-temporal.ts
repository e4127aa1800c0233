#!/usr/bin/env node
// Installs the Temporal CLI (which holds `temporal server start-dev`) with `go install` when it is
// missing. Idempotent and quick when the binary is there: it lives in Go's own bin folder, outside
// the repository, so a fresh clone finds it instead of building it again (the first build takes
// several minutes on two cores). Prints the binary's path on its last line.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const MODULE = 'github.com/temporalio/cli/cmd/temporal';
// v1.5.1 is the last release without `replace` directives, which `go install` refuses.
const VERSION = 'v1.5.1';

export function temporalBinaryPath() {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
  const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(path.delimiter)[0];
  return path.join(gobin || path.join(gopath, 'bin'), 'temporal');
}

function main() {
  const binary = temporalBinaryPath();
  if (existsSync(binary)) {
    console.log(binary);
    return;
  }
  console.error(`Temporal CLI not found at ${binary}; building ${MODULE}@${VERSION} with go install (a few minutes, once)...`);
  execFileSync('go', ['install', `${MODULE}@${VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!existsSync(binary)) throw new Error(`go install finished but ${binary} is missing`);
  console.log(binary);
}

main();
