// Installs Debian's chromium for the page tests when it is missing (`npm test`'s pretest, so that
// a newcomer's test command installs what it needs, as CI's does). playwright-core drives this
// browser and downloads none of its own: this machine's registries serve Debian packages, not
// browser builds. CHROMIUM_PATH names another browser and skips the install.
// `--cjk-font` (`npm run screenshots`' pre step) also installs Debian's Noto CJK fonts when no font
// covers Chinese: the tests read the pages' text and need none, but a picture of the pages without
// one shows a box for every character.
import '../startup/node-version';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StartupError, exitOnStartupError } from '../startup/errors';

/** The same default as test/support/browser.ts, which launches it. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function aptInstall(pkg: string): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: ['ignore', 'ignore', 'inherit'], env });
}

function hasChineseFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

function installCjkFont(): void {
  if (hasChineseFont()) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new StartupError('The screenshots need a font that covers Chinese. Install one (Debian: `sudo apt-get install fonts-noto-cjk`).');
  }
  console.error('No font covers Chinese; installing Debian\'s fonts-noto-cjk for the screenshots (once)...');
  aptInstall('fonts-noto-cjk');
}

function main(): void {
  if (process.argv.includes('--cjk-font')) installCjkFont();
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CHROMIUM_PATH) {
    throw new StartupError(`CHROMIUM_PATH=${CHROMIUM_PATH} does not exist. Point it at a Chromium binary, or unset it to use Debian's chromium.`);
  }
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new StartupError(`The page tests need Chromium at ${CHROMIUM_PATH}. Install it (Debian: \`sudo apt-get install chromium\`), or set CHROMIUM_PATH.`);
  }
  console.error(`Chromium not found at ${CHROMIUM_PATH}; installing Debian's chromium package for the page tests (a minute or two, once)...`);
  aptInstall('chromium');
}

try {
  main();
} catch (err) {
  exitOnStartupError(err);
}
