/**
 * The pages (console, buyer's confirm page, dev sign-in) built into dist/web, which the API serves
 * with koa-static. One HTML entry per page, holding only its title and its script; what every page
 * shares around them comes from `sharedFrame`. Assets are hashed under /assets/.
 */
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** What every page has around its title and script: the charset, the phone viewport, and #app, where main.tsx renders. */
const sharedFrame = {
  name: 'shared-frame',
  transformIndexHtml: () => [
    { tag: 'meta', attrs: { charset: 'utf-8' }, injectTo: 'head-prepend' },
    { tag: 'meta', attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' }, injectTo: 'head-prepend' },
    { tag: 'div', attrs: { id: 'app' }, injectTo: 'body-prepend' },
  ],
};

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [preact(), sharedFrame],
  logLevel: 'warn',
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    // The pages must work where no CDN or network is reachable: everything ships from the service.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        console: here('console/index.html'),
        pay: here('pay/index.html'),
        dev: here('dev/index.html'),
      },
    },
  },
});
