/**
 * The journey end to end in a real browser, against the real stack (Temporal, MariaDB, worker, the
 * Koa app on a port): a seller signs in, enables, recharges, finds an eligible order in the list
 * (the ineligible one has no button) and pays ¥15.00; the buyer opens the card's link, sees the
 * deadline counting down and confirms; the seller sees PAID in the records and 小额打款 in the
 * statement. Then a sub-account's large payout waits for the main account's approval in the console,
 * and the main account sets the automatic top-up and turns it off.
 */
import type { Browser, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { buildApi } from '../../api/server';
import { Notification } from '../../db/notifications/entities';
import { close, launchChromium, listen } from '../support/browser';
import { bearer, openMarket } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let browser: Browser;
let server: Server;
let origin: string;

beforeAll(async () => {
  stack = await startStack();
  const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client });
  ({ server, origin } = await listen(app));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await close(server);
  await stack?.stop();
});

async function signIn(page: Page, path: string, token: string): Promise<void> {
  await page.goto(`${origin}${path}`);
  await page.getByLabel('访问令牌（Bearer Token）').fill(token);
  await page.getByRole('button', { name: '登录' }).click();
}

async function putOrder(orderId: string, sellerId: string, buyerId: string, status: string): Promise<void> {
  const system = await stack.token('trade-system', 'system');
  await stack.http.put(`/v1/orders/${orderId}`).set(bearer(system))
    .send({ sellerId, buyerId, status, paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 }).expect(200);
}

test('seller pays ¥15.00 from the console; the buyer confirms on the card\'s page; the seller sees PAID and 小额打款', async () => {
  const sellerId = uniqueId('seller');
  const buyerId = uniqueId('buyer');
  const eligible = uniqueId('ORD-PAID');
  const finished = uniqueId('ORD-DONE');
  await putOrder(eligible, sellerId, buyerId, 'PAID');
  await putOrder(finished, sellerId, buyerId, 'COMPLETED');

  const seller = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await signIn(seller, '/console/', await stack.token(sellerId, 'seller'));
  await seller.getByLabel('代扣协议授权码').fill('AUTH-OK-1');
  await seller.getByLabel('我已阅读并同意《小额打款代扣协议》').check();
  await seller.getByRole('button', { name: '签署协议并开通' }).click();
  await seller.getByText('已开通小额打款').waitFor();

  await seller.getByLabel('充值金额（元）').fill('100');
  await seller.getByRole('button', { name: '充值', exact: true }).click();
  await seller.getByText('充值成功：¥100.00').waitFor();
  await expectText(seller.getByTestId('available'), '¥100.00');

  await seller.getByRole('link', { name: '订单打款' }).click();
  await seller.getByLabel(/^订单号/).fill(`${eligible} ${finished}`);
  await seller.getByRole('button', { name: '查找' }).click();
  const eligibleRow = seller.locator(`tr[data-order="${eligible}"]`);
  const finishedRow = seller.locator(`tr[data-order="${finished}"]`);
  await finishedRow.getByText('交易已结束').waitFor();
  expect(await finishedRow.getByRole('button').count()).toBe(0);
  await expectText(eligibleRow, '¥45.00');
  await eligibleRow.getByRole('button', { name: `小额打款：订单 ${eligible}` }).click();
  await expectText(seller.getByTestId('max-amount'), '¥45.00');
  await seller.getByLabel('打款金额（元）').fill('15.00');
  await seller.getByLabel('打款原因').selectOption('PRICE_DIFFERENCE');
  await seller.getByLabel(/给买家的留言/).fill('降价补差');
  await seller.getByRole('button', { name: '确认打款' }).click();
  await seller.getByText('已向买家发起打款 ¥15.00').waitFor();

  // The buyer follows the link of the card the workflow sent.
  const card = await eventually(async () => stack.orm.em.fork().findOne(Notification, { recipientId: buyerId, kind: 'PAYOUT_SENT' }));
  const link = String(card.payload.confirmLink);
  expect(link).toMatch(/^\/pay\/[0-9a-f-]{36}$/);
  const buyer = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await signIn(buyer, link, await stack.token(buyerId, 'buyer'));
  await expectText(buyer.locator('.pay-amount'), '¥15.00');
  await buyer.getByText('降价补差').waitFor();
  const first = await buyer.getByTestId('countdown').textContent();
  expect(first).toMatch(/小时\d+分\d+秒$/);
  await eventually(async () => (await buyer.getByTestId('countdown').textContent()) !== first, 5_000);
  await buyer.getByRole('button', { name: '确认收款' }).click();
  await buyer.getByText('款项已打入您的账户').waitFor({ timeout: 30_000 });

  await seller.getByRole('link', { name: '打款记录' }).click();
  await eventually(async () => {
    await seller.getByRole('button', { name: '查询' }).click();
    return (await seller.locator(`[data-status="PAID"]`).count()) > 0;
  }, 30_000, 500);
  await expectText(seller.locator('tr[data-payout]').first(), '已打款');
  await expect(downloaded(seller, '导出 CSV')).resolves.toContain(eligible);
  await seller.getByRole('link', { name: '对账单' }).click();
  await seller.getByRole('cell', { name: '小额打款' }).first().waitFor();
  await seller.getByLabel('类型').selectOption('PAYOUT');
  await seller.getByRole('button', { name: '查询' }).click();
  await expect(downloaded(seller, '导出 CSV')).resolves.toMatch(/,PAYOUT,-?15\.00,小额打款,/);

  // The payout's detail: its timeline, and the workflow history behind it.
  // The outcome card is stored by its own activity after PAID; the view shows what is stored when it opens.
  const sellerToken = await stack.token(sellerId, 'seller');
  await eventually(async () => (await stack.http.get('/v1/seller/notifications').set(bearer(sellerToken)).expect(200)).body.items.some((c: { kind: string }) => c.kind === 'PAYOUT_OUTCOME'));
  await seller.getByRole('link', { name: '消息通知' }).click();
  const outcome = seller.locator('ul.cards li', { hasText: '打款结果' }).first();
  await expectText(outcome, `订单 ${eligible} 的打款 ¥15.00：已打款`);
  await outcome.getByRole('button', { name: '标为已读' }).click();
  await outcome.getByRole('button', { name: '标为已读' }).waitFor({ state: 'detached' });
  await outcome.getByRole('link', { name: '查看打款' }).click();
  await seller.getByText('买家确认收款').waitFor();
  await seller.getByRole('button', { name: '查看流程历史' }).click();
  await seller.getByRole('cell', { name: '流程开始' }).waitFor();
});

test('a sub-account\'s large payout waits for the main account\'s approval in the console', async () => {
  const market = await openMarket(stack);
  const subId = uniqueId('sub');
  const orderId = await market.order();
  const main = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await signIn(main, '/console/', market.seller);
  await main.getByLabel('子账号单笔打款达到此金额需审批（元）').fill('20');
  await main.getByRole('button', { name: '保存审批设置' }).click();
  await main.getByText('审批设置已保存').waitFor();
  await expectText(main.getByTestId('approval-policy'), '¥20.00');
  await main.getByRole('link', { name: '子账号权限' }).click();
  await main.getByLabel('子账号', { exact: true }).fill(subId);
  await main.getByRole('button', { name: '授予打款权限' }).click();
  await main.getByRole('button', { name: `取消权限：${subId}` }).waitFor();

  // The sub-account sees the policy, and its ¥30.00 payout waits instead of reaching the buyer.
  const sub = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await signIn(sub, '/console/', await stack.token(subId, 'sub_account', market.sellerId));
  await expectText(sub.getByTestId('approval-policy'), '子账号单笔打款达到 ¥20.00 时，需主账号审批');
  expect(await sub.getByRole('link', { name: '待审批' }).count()).toBe(0);
  await sub.getByRole('link', { name: '订单打款' }).click();
  await sub.getByLabel(/^订单号/).fill(orderId);
  await sub.getByRole('button', { name: '查找' }).click();
  await sub.getByRole('button', { name: `小额打款：订单 ${orderId}` }).click();
  await sub.getByText('单笔达到 ¥20.00 的打款需主账号审批').waitFor();
  await sub.getByLabel('打款金额（元）').fill('30.00');
  await sub.getByLabel('打款原因').selectOption('COMPENSATION');
  await sub.getByRole('button', { name: '确认打款' }).click();
  await sub.getByText('等待主账号审批').waitFor();
  const pending = (await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(market.seller)).expect(200)).body.payout;
  expect(pending).toMatchObject({ status: 'PENDING_APPROVAL', expiresAt: null, initiatedBy: subId });
  expect((await stack.http.get('/v1/buyer/payouts').set(bearer(market.buyer)).expect(200)).body.items).toEqual([]);

  // The main account finds it in 待审批 and its card, and approves it in the detail.
  await main.getByRole('link', { name: '待审批' }).click();
  const row = main.locator(`tr[data-payout="${pending.id}"]`);
  await expectText(row, '¥30.00');
  await expectText(row, subId);
  await eventually(async () => (await stack.http.get('/v1/seller/notifications').set(bearer(market.seller)).expect(200)).body.items.some((c: { kind: string }) => c.kind === 'APPROVAL_REQUESTED'));
  await main.getByRole('link', { name: '消息通知' }).click();
  const card = main.locator('ul.cards li', { hasText: '子账号打款待审批' }).first();
  await expectText(card, `子账号 ${subId} 给订单 ${orderId} 的打款 ¥30.00 待您审批`);
  await card.getByRole('link', { name: '去审批' }).click();
  await expectText(main.locator('[data-status]'), '待主账号审批');
  await main.getByTestId('approval-deadline').waitFor();
  await main.getByRole('button', { name: '审批通过' }).click();
  await main.getByText('已审批通过，已通知买家').waitFor();
  await expectText(main.locator('[data-status]'), '待买家确认');
  await main.getByText('主账号审批通过').waitFor();

  // Now the buyer hears of it and confirms.
  const buyer = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await signIn(buyer, `/pay/${pending.id}`, market.buyer);
  await expectText(buyer.locator('.pay-amount'), '¥30.00');
  await buyer.getByRole('button', { name: '确认收款' }).click();
  await buyer.getByText('款项已打入您的账户').waitFor({ timeout: 30_000 });
});

test('the main account sets the automatic top-up in the console and turns it off', async () => {
  const market = await openMarket(stack);
  const accountOf = async () => (await stack.http.get('/v1/payout-account').set(bearer(market.seller)).expect(200)).body;
  const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await signIn(page, '/console/', market.seller);
  await expectText(page.getByTestId('auto-top-up'), '当前：未开启');
  await page.getByLabel('可用余额低于（元）', { exact: true }).fill('50');
  // Not 充值金额: the recharge form's field has that label.
  await page.getByLabel('每次充入金额（元）', { exact: true }).fill('100');
  await page.getByLabel('每日充值上限（元）', { exact: true }).fill('300.00');
  await page.getByRole('button', { name: '保存自动充值' }).click();
  await page.getByText('自动充值已开启').waitFor();
  await expectText(page.getByTestId('auto-top-up'), '可用余额低于 ¥50.00 时自动充值 ¥100.00，每日最多 ¥300.00');
  expect((await accountOf()).autoTopUp).toEqual({ threshold: 5_000, amount: 10_000, dailyMax: 30_000 });
  await page.getByRole('button', { name: '关闭自动充值' }).click();
  await page.getByText('自动充值已关闭').waitFor();
  await expectText(page.getByTestId('auto-top-up'), '当前：未开启');
  expect((await accountOf()).autoTopUp).toBeNull();
});

/** Clicks the button that downloads a CSV and returns the file's text. */
async function downloaded(page: Page, button: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  return readFileSync(await download.path(), 'utf8');
}

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await eventually(async () => ((await locator.textContent()) ?? '').includes(text), 10_000, 100).catch(async () => {
    throw new Error(`expected "${text}" in "${await locator.textContent()}"`);
  });
}
