/**
 * Every page, checked by axe-core in the real browser (WCAG 2 A and AA rules): no serious or
 * critical violation on the console's views (the approvals waiting and a waiting payout's detail
 * among them), the buyer's page in its open and ended states, the
 * buyer's list, the API reference and the dev sign-in.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import type { Server } from 'node:http';
import { buildApi } from '../../api/server';
import { DEVELOPMENT_JWT_SECRET } from '../../config';
import { devSignInRoutes } from '../../scripts/dev-sign-in';
import { close, launchChromium, listen } from '../support/browser';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;
let browser: Browser;
let server: Server;
let origin: string;
let market: Market;
let openPayout: string;
let endedPayout: string;
let waitingPayout: string;
let sub: string;

beforeAll(async () => {
  stack = await startStack();
  // The dev sign-in is mounted as `npm start` mounts it; its tokens are not the test stack's, and
  // this check only reads the page.
  const devRoutes = devSignInRoutes({ jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDevelopment: true });
  const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client, devRoutes });
  ({ server, origin } = await listen(app));
  browser = await launchChromium();
  market = await openMarket(stack);
  openPayout = (await market.createPayout({ orderId: await market.order(), amount: 1_500, note: '降价补差' }).expect(201)).body.id;
  endedPayout = (await market.createPayout({ orderId: await market.order(), amount: 800 }).expect(201)).body.id;
  await stack.http.post(`/v1/payouts/${endedPayout}/decline`).set(bearer(market.buyer)).expect(200);
  // Rows for the sub-account list and the seller's cards (the outcome card is stored by its own activity).
  await stack.http.put(`/v1/sub-accounts/${market.sellerId}-ops/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
  // A sub-account's payout waiting for the main account: the approvals list, its detail and its card.
  sub = await stack.token(`${market.sellerId}-ops`, 'sub_account', market.sellerId);
  await stack.http.put('/v1/payout-account/approval-policy').set(bearer(market.seller)).send({ subAccountThreshold: 2_000 }).expect(200);
  waitingPayout = (await stack.http.post('/v1/payouts').set(bearer(sub)).send({ orderId: await market.order(), amount: 3_000, reason: 'COMPENSATION' }).expect(201)).body.id;
  const kinds = async () => (await stack.http.get('/v1/seller/notifications').set(bearer(market.seller)).expect(200)).body.items.map((c: { kind: string }) => c.kind);
  await eventually(async () => (await kinds()).includes('PAYOUT_OUTCOME') && (await kinds()).includes('APPROVAL_REQUESTED'));
});
afterAll(async () => {
  await browser?.close();
  await close(server);
  await stack?.stop();
});

async function pageAs(token: string | null): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  // Signed in as the token form does it: the token in this tab's sessionStorage.
  if (token) await page.addInitScript(`sessionStorage.setItem('payouts.token', ${JSON.stringify(token)})`);
  return page;
}

/** Opens `path` (or stays where the page is) and checks it once `ready` shows. */
async function expectAccessible(page: Page, path: string | null, ready: string): Promise<void> {
  if (path) await page.goto(`${origin}${path}`);
  await page.getByText(ready).first().waitFor();
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(grave.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

test.each([
  ['the console signed out', '/console/', null, '访问令牌'],
  ['the account view', '/console/#/account', 'seller', '准备金账户'],
  ['the order list', '/console/#/orders', 'seller', '按订单号查找'],
  ['the records', '/console/#/records', 'seller', '记录列表'],
  ['the statement', '/console/#/statement', 'seller', '准备金对账单'],
  ['the sub-account permissions', '/console/#/sub-accounts', 'seller', '取消权限'],
  ['the seller\'s cards', '/console/#/cards', 'seller', '子账号打款待审批'],
  ['the approvals waiting', '/console/#/approvals', 'seller', '发起人'],
  ['the sub-account\'s account view', '/console/#/account', 'sub', '大额打款审批'],
  ['the buyer\'s page signed out', '/pay/00000000-0000-4000-8000-000000000000', null, '访问令牌'],
  ['the buyer\'s list', '/pay/', 'buyer', '我收到的小额打款'],
  ['the API reference', '/docs', null, 'Small-amount payouts'],
  ['the dev sign-in', '/dev/', null, '演示账号'],
] as const)('%s', async (_name, path, who, ready) => {
  const page = await pageAs(who === 'seller' ? market.seller : who === 'buyer' ? market.buyer : who === 'sub' ? sub : null);
  await expectAccessible(page, path, ready);
});

test('the payout form and a payout\'s detail', async () => {
  const page = await pageAs(market.seller);
  const orderId = await market.order();
  await page.goto(`${origin}/console/#/orders`);
  await page.getByLabel(/^订单号/).fill(orderId);
  await page.getByRole('button', { name: '查找' }).click();
  await page.getByRole('button', { name: `小额打款：订单 ${orderId}` }).click();
  await expectAccessible(page, null, '本单最多可打');
  await page.goto(`${origin}/console/#/payouts/${openPayout}`);
  await expectAccessible(page, `/console/#/payouts/${openPayout}`, '进度');
  await page.getByRole('button', { name: '查看流程历史' }).click();
  await expectAccessible(page, null, '流程开始');
  await expectAccessible(page, `/console/#/payouts/${waitingPayout}`, '审批截止');
  await page.getByRole('button', { name: '驳回' }).click();
  await expectAccessible(page, null, '确定驳回');
});

test.each([
  ['awaiting the buyer', () => openPayout, '剩余确认时间'],
  ['already ended', () => endedPayout, '您已拒收此打款'],
])('the buyer\'s page, %s', async (_name, id, ready) => {
  await expectAccessible(await pageAs(market.buyer), `/pay/${id()}`, ready);
});
