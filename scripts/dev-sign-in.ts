/**
 * The development sign-in of `npm start`: /dev/ lists the demo accounts (seller, sub-account,
 * buyer, auditor) and GET /dev/accounts mints their tokens. It exists only while the service runs
 * with the development JWT secret, which everyone knows; with any other secret it refuses to be
 * built, so a deployment can never hand out tokens.
 */
import type Koa from 'koa';
import serve from 'koa-static';
import { issueToken, secretKey } from '../api/auth';
import { WEB_ROOT } from '../api/pages';
import type { Role } from '../api/spec';
import { DEVELOPMENT_JWT_SECRET, type Config } from '../config';
import { DEMO } from './seed-demo';

interface DemoAccount {
  id: string;
  role: Role;
  sellerId?: string;
  description: string;
  home: string;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: DEMO.sellerId, role: 'seller', description: '卖家主账号：开通、充值、打款、设置', home: '/console/#/account' },
  { id: DEMO.subAccountId, role: 'sub_account', sellerId: DEMO.sellerId, description: '子账号（已获打款权限）：打款、查看记录', home: '/console/#/orders' },
  { id: DEMO.buyerId, role: 'buyer', description: '买家：确认或拒收打款', home: '/pay/' },
  { id: 'auditor-demo', role: 'auditor', description: '财务审计：查看记录与对账单', home: '/console/#/records' },
];

export function devSignInRoutes(config: Pick<Config, 'jwtSecret' | 'jwtSecretIsDevelopment'>, webRoot = WEB_ROOT): Koa.Middleware {
  if (!config.jwtSecretIsDevelopment || config.jwtSecret !== DEVELOPMENT_JWT_SECRET) {
    throw new Error('the dev sign-in is only for the development secret; it mints tokens for anyone who asks');
  }
  const secret = secretKey(config.jwtSecret);
  const page = serve(webRoot, { index: false });
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/dev') return ctx.redirect('/dev/');
    if (ctx.path === '/dev/accounts') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await Promise.all(DEMO_ACCOUNTS.map(async ({ sellerId, ...account }) => ({
        ...account,
        token: await issueToken(secret, { sub: account.id, role: account.role, ...(sellerId ? { seller_id: sellerId } : {}) }),
      })));
      return;
    }
    if (ctx.path !== '/dev/') return next();
    ctx.path = '/dev/index.html';
    await page(ctx, async () => {});
    ctx.set('Cache-Control', 'no-cache');
  };
}
