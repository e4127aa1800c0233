/**
 * A real browser for the page tests: Debian's chromium (/usr/bin/chromium, which `npm test`'s pretest
 * installs when missing: scripts/install-chromium.ts; Playwright downloads nothing) driven by
 * playwright-core, headless, with a fresh profile each launch. The service under test listens on a random 127.0.0.1 port.
 */
import { chromium, type Browser } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet and offline: no sync, no updates, no background requests that could slow or leak a run. */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Playwright makes a fresh temporary profile (user-data-dir) for every launch and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

export async function listen(app: Koa): Promise<{ server: Server; origin: string }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
