/**
 * The pages (console, buyer's confirm page, dev sign-in) built into dist/web, which the API serves
 * with koa-static. One HTML entry per page; assets are hashed under /assets/.
 */
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [preact()],
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
