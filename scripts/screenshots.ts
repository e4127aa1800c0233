/**
 * `npm run screenshots`: pictures of the main pages for README, in docs/screenshots/. It starts the
 * stack exactly as the browser tests do (test/support: a Temporal dev server, a fresh database,
 * the pages built, the worker in process), makes a small scene through the HTTP API — an enabled,
 * funded seller, orders that are and are not eligible, one payout paid, one awaiting the buyer —
 * a sub-account's payout waiting for the main account's approval, the automatic top-up set —
 * and drives Debian's chromium through the pages. It is its own command so that tests never write
 * tracked files; run it again after a change to the pages and commit the pictures.
 *
 * Fixed viewports keep the files small and the pictures comparable: 1280×800 for the console,
 * /docs and the dev sign-in, 390×844 (a phone) for the buyer's page.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildApi } from '../api/server';
import { DEVELOPMENT_JWT_SECRET } from '../config';
import { devSignInRoutes } from './dev-sign-in';
import { close, launchChromium, listen } from '../test/support/browser';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { bearer } from '../test/support/scenario';
import { eventually, startStack, type Stack } from '../test/support/stack';

const OUT_DIR = path.join(__dirname, '..', 'docs', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The database is the run's own, so the scene can use readable ids. */
const SELLER = 'seller-demo';
const BUYER = 'buyer-demo';
const SUB_ACCOUNT = 'seller-demo-ops';
const ORDERS = { paid: 'TB2026113000001', awaiting: 'TB2026113000002', open: 'TB2026113000003', shipped: 'TB2026113000004', finished: 'TB2026113000005', creditTerm: 'TB2026113000006', approval: 'TB2026113000007' };

interface Scene { seller: string; buyer: string; paidId: string; awaitingId: string; pendingApprovalId: string }

async function makeScene(stack: Stack): Promise<Scene> {
  const [seller, buyer, system] = await Promise.all([stack.token(SELLER, 'seller'), stack.token(BUYER, 'buyer'), stack.token('trade-system', 'system')]);
  const order = (orderId: string, status: string, paymentType = 'STANDARD') => stack.http.put(`/v1/orders/${orderId}`).set(bearer(system))
    .send({ sellerId: SELLER, buyerId: BUYER, status, paymentType, totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 }).expect(200);
  await order(ORDERS.paid, 'PAID');
  await order(ORDERS.awaiting, 'SHIPPED');
  await order(ORDERS.open, 'PAID');
  await order(ORDERS.shipped, 'SHIPPED');
  await order(ORDERS.finished, 'COMPLETED');
  await order(ORDERS.creditTerm, 'PAID', 'CREDIT_TERM');
  await order(ORDERS.approval, 'SHIPPED');
  await stack.http.post('/v1/payout-account/enable').set(bearer(seller))
    .send({ agreement: { authCode: 'DEMO-AUTH-CODE' }, limits: { dailyCount: 100, dailyAmount: 200_000, perPayoutAmount: 50_000 } }).expect(200);
  await stack.http.post('/v1/payout-account/recharges').set(bearer(seller)).set('Idempotency-Key', 'demo-recharge-1').send({ amount: 100_000 }).expect(201);
  await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(seller)).send({ threshold: 20_000 }).expect(200);
  await stack.http.put('/v1/payout-account/auto-top-up').set(bearer(seller)).send({ threshold: 10_000, amount: 50_000, dailyMax: 200_000 }).expect(200);
  await stack.http.put('/v1/payout-account/approval-policy').set(bearer(seller)).send({ subAccountThreshold: 2_000 }).expect(200);
  await stack.http.put(`/v1/sub-accounts/${SUB_ACCOUNT}/permissions`).set(bearer(seller)).send({ payout: true }).expect(200);
  const pay = async (orderId: string, amount: number, reason: string, note: string, by = seller) => (await stack.http.post('/v1/payouts').set(bearer(by))
    .set('Idempotency-Key', `demo-${orderId}`).send({ orderId, amount, reason, note }).expect(201)).body.id as string;
  const paidId = await pay(ORDERS.paid, 1_500, 'PRICE_DIFFERENCE', '降价补差');
  const awaitingId = await pay(ORDERS.awaiting, 800, 'SHIPPING_FEE', '补运费，感谢支持');
  const sub = await stack.token(SUB_ACCOUNT, 'sub_account', SELLER);
  const pendingApprovalId = await pay(ORDERS.approval, 3_000, 'COMPENSATION', '破损补偿', sub);
  await stack.http.post(`/v1/payouts/${paidId}/confirm`).set(bearer(buyer)).expect(200);
  await eventually(async () => (await stack.http.get(`/v1/payouts/${paidId}`).set(bearer(seller)).expect(200)).body.status === 'PAID');
  return { seller, buyer, paidId, awaitingId, pendingApprovalId };
}

async function pageAs(browser: Browser, token: string | null, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport, deviceScaleFactor: 1 });
  // Signed in as the token form does it: the token in this tab's sessionStorage.
  if (token) await context.addInitScript(`sessionStorage.setItem('payouts.token', ${JSON.stringify(token)})`);
  return context.newPage();
}

async function shoot(page: Page, name: string, ready: string): Promise<void> {
  await page.getByText(ready).first().waitFor();
  // Move the pointer and the focus out of the way, so no hover or focus ring is in the picture.
  await page.mouse.move(0, 0);
  await page.evaluate('document.activeElement?.blur()');
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

async function shootAll(browser: Browser, origin: string, scene: Scene): Promise<void> {
  const console_ = await pageAs(browser, scene.seller);
  await console_.goto(`${origin}/console/#/account`);
  await shoot(console_, 'console-account', '可用余额');
  await console_.goto(`${origin}/console/#/orders`);
  await console_.getByLabel(/^订单号/).fill(Object.values(ORDERS).slice(2).join(' '));
  await console_.getByRole('button', { name: '查找' }).click();
  await console_.locator(`tr[data-order="${ORDERS.finished}"]`).getByText('交易已结束').waitFor();
  await shoot(console_, 'console-orders', '交易已结束');
  await console_.getByRole('button', { name: `小额打款：订单 ${ORDERS.open}` }).click();
  await console_.getByLabel('打款金额（元）').fill('20.00');
  await shoot(console_, 'console-payout-form', '本单最多可打');
  await console_.goto(`${origin}/console/#/records`);
  await console_.locator('[data-status="PAID"]').first().waitFor();
  await shoot(console_, 'console-records', '记录列表');
  await console_.goto(`${origin}/console/#/approvals`);
  await console_.locator(`tr[data-payout="${scene.pendingApprovalId}"]`).waitFor();
  await shoot(console_, 'console-approvals', '待审批的打款');
  await console_.goto(`${origin}/console/#/payouts/${scene.paidId}`);
  await shoot(console_, 'console-payout-detail', '进度');

  const phone = await pageAs(browser, scene.buyer, PHONE);
  await phone.goto(`${origin}/pay/${scene.awaitingId}`);
  await shoot(phone, 'pay-mobile', '剩余确认时间');

  const anyone = await pageAs(browser, null);
  await anyone.goto(`${origin}/docs`);
  await shoot(anyone, 'docs', 'Small-amount payouts');
  await anyone.goto(`${origin}/dev/`);
  await shoot(anyone, 'dev-sign-in', '演示账号');
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  await globalSetup();
  let stack: Stack | undefined;
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    // The default three days to confirm, so the buyer's page counts down from days, as a buyer sees it.
    stack = await startStack({ confirmWindow: '3d' });
    // The dev sign-in as `npm start` mounts it; only its page is pictured, its tokens are not used.
    const devRoutes = devSignInRoutes({ jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDevelopment: true });
    const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client, devRoutes });
    let origin: string;
    ({ server, origin } = await listen(app));
    browser = await launchChromium();
    await shootAll(browser, origin, await makeScene(stack));
  } finally {
    await browser?.close();
    await close(server);
    await stack?.stop();
    await globalTeardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
