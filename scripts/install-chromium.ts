// Installs Debian's chromium for the page tests when it is missing (`npm test`'s pretest, so that
// a newcomer's test command installs what it needs, as CI's does). playwright-core drives this
// browser and downloads none of its own: this machine's registries serve Debian packages, not
// browser builds. CHROMIUM_PATH names another browser and skips the install.
import '../startup/node-version';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StartupError, exitOnStartupError } from '../startup/errors';

/** The same default as test/support/browser.ts, which launches it. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function main(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CHROMIUM_PATH) {
    throw new StartupError(`CHROMIUM_PATH=${CHROMIUM_PATH} does not exist. Point it at a Chromium binary, or unset it to use Debian's chromium.`);
  }
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new StartupError(`The page tests need Chromium at ${CHROMIUM_PATH}. Install it (Debian: \`sudo apt-get install chromium\`), or set CHROMIUM_PATH.`);
  }
  console.error(`Chromium not found at ${CHROMIUM_PATH}; installing Debian's chromium package for the page tests (a minute or two, once)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
}

try {
  main();
} catch (err) {
  exitOnStartupError(err);
}
