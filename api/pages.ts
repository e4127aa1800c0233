/**
 * The web pages the service serves beside its API, all from its own files (no CDN: our users may
 * not reach one): the console and the buyer's confirm page built by Vite into dist/web, and /docs,
 * Swagger UI (swagger-ui-dist) reading this service's openapi.yaml. Files go out through
 * koa-static; each page route names the one file it answers with.
 */
import type Koa from 'koa';
import serve from 'koa-static';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_PATH } from './spec';

export const WEB_ROOT = path.join(__dirname, '..', 'dist', 'web');
const SWAGGER_UI_ROOT = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Hashed build assets never change under their name; pages are asked for again every time. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3_600_000;

/**
 * Pages load scripts, styles and data from this origin only. Swagger UI sets inline styles and
 * draws data: images, hence those two exceptions.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
].join('; ');

interface Route {
  /** The file to answer with, relative to its root. */
  file: string;
  root: 'web' | 'swagger' | 'spec';
}

/** The file a GET of `pathname` answers with, or undefined when it is not a page's. */
export function pageRoute(pathname: string): Route | 'redirect' | undefined {
  if (pathname === '/console' || pathname === '/docs/') return 'redirect';
  if (pathname === '/console/') return { file: '/console/index.html', root: 'web' };
  if (pathname === '/pay' || pathname === '/pay/' || /^\/pay\/[A-Za-z0-9-]{1,64}$/.test(pathname)) return { file: '/pay/index.html', root: 'web' };
  if (pathname === '/docs') return { file: '/docs/index.html', root: 'web' };
  if (pathname === '/docs/openapi.yaml') return { file: path.basename(OPENAPI_PATH), root: 'spec' };
  if (/^\/docs\/[a-z-]+\.(js|css)$/.test(pathname) && pathname !== '/docs/index.html') return { file: pathname, root: 'web' };
  const swagger = /^\/docs\/swagger-ui\/([a-z0-9-]+\.(?:js|css|png))$/.exec(pathname);
  if (swagger) return { file: `/${swagger[1]}`, root: 'swagger' };
  if (/^\/assets\/[A-Za-z0-9_.-]+$/.test(pathname)) return { file: pathname, root: 'web' };
  return undefined;
}

const noop = async () => {};

export function pagesMiddleware(webRoot = WEB_ROOT): Koa.Middleware {
  const options = { index: false as const, gzip: false, brotli: false };
  const roots = {
    web: serve(webRoot, options),
    swagger: serve(SWAGGER_UI_ROOT, options),
    spec: serve(path.dirname(OPENAPI_PATH), options),
  };
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const route = pageRoute(ctx.path);
    if (!route) return next();
    if (route === 'redirect') return ctx.redirect(ctx.path === '/console' ? '/console/' : '/docs');
    if (route.root === 'web' && !existsSync(webRoot)) {
      ctx.status = 503;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'The pages are not built: npm start and npm test build them (npm run build:web alone does too).\n';
      return;
    }
    const asked = ctx.path;
    ctx.path = route.file;
    try {
      await roots[route.root](ctx, noop);
    } finally {
      ctx.path = asked;
    }
    if (ctx.body === undefined || ctx.body === null) return next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (route.file.startsWith('/assets/')) ctx.set('Cache-Control', `public, max-age=${ASSET_MAX_AGE_MS / 1000}, immutable`);
    else ctx.set('Cache-Control', 'no-cache');
    if (ctx.response.is('html')) ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  };
}
