/**
 * The marketplace a scenario needs, set up through the HTTP API as the trade system and sellers
 * would: sellers enable the tool and recharge their reserve, the trade system pushes paid orders,
 * and (for the hot seller) the seller grants sub-accounts the payout permission. Not measured.
 */
import { issueToken } from '../api/auth';
import { SYSTEM_CAPS, type Limits } from '../domain/rules';
import { HttpFailure, type JsonClient } from './http';
import { runPool, sleep } from './stats';

/** Every benchmark payout moves ¥1.00: far below every cap, so only the count limit can bind. */
export const PAYOUT_AMOUNT_FEN = 100;
/** A paid order of ¥100.00, ¥90.00 of it cash: at most ¥45.00 may be paid out on it. */
const ORDER_BODY = { status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 } as const;
/** Set-up requests in flight at once: enough to be quick, few enough to leave the API responsive. */
const SETUP_CONCURRENCY = 16;
/** Set-up retries a refusal to go faster (429, 503) this many times, then gives up. */
const SETUP_RETRIES_MAX = 30;
const SETUP_RETRY_WAIT_MS_MAX = 2_000;

export interface Seller {
  sellerId: string;
  buyerId: string;
  buyerToken: string;
  /** Tokens of the principals that create payouts for this seller: the main account, then sub-accounts. */
  operatorTokens: string[];
}

export interface OrderRef {
  orderId: string;
  seller: Seller;
}

export interface MarketPlan {
  /** Distinguishes the ids of one market from another's in the same database. */
  tag: string;
  sellers: number;
  ordersPerSeller: number;
  limits?: Partial<Limits>;
  /** Sub-accounts granted the payout permission, per seller, besides the main account. */
  subAccountsPerSeller?: number;
}

export interface Market {
  sellers: Seller[];
  /** Interleaved across sellers: order i belongs to seller i % sellers.length. */
  orders: OrderRef[];
  systemToken: string;
}

/** Retries what the API refuses only for pace (rate limit, unavailable), honouring Retry-After. */
async function patiently<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retryable = err instanceof HttpFailure && (err.status === 429 || err.status === 503);
      if (!retryable || attempt >= SETUP_RETRIES_MAX) throw err;
      await sleep(Math.min(SETUP_RETRY_WAIT_MS_MAX, 100 * attempt));
    }
  }
}

export async function openMarket(api: JsonClient, secret: Uint8Array, plan: MarketPlan): Promise<Market> {
  const systemToken = await issueToken(secret, { sub: `${plan.tag}-trade-system`, role: 'system' });
  const sellers: Seller[] = [];
  await runPool(plan.sellers, SETUP_CONCURRENCY, Infinity, async (k) => {
    sellers[k] = await openSeller(api, secret, plan, k);
  });
  const orders: OrderRef[] = Array.from({ length: plan.sellers * plan.ordersPerSeller }, (_, i) => ({
    orderId: `${plan.tag}-o${i}`,
    seller: sellers[i % plan.sellers],
  }));
  await runPool(orders.length, SETUP_CONCURRENCY, Infinity, async (i) => {
    const { orderId, seller } = orders[i];
    const body = { ...ORDER_BODY, sellerId: seller.sellerId, buyerId: seller.buyerId };
    await patiently(() => api.expect(200, 'PUT', `/v1/orders/${orderId}`, { token: systemToken, body }));
  });
  return { sellers, orders, systemToken };
}

async function openSeller(api: JsonClient, secret: Uint8Array, plan: MarketPlan, k: number): Promise<Seller> {
  const sellerId = `${plan.tag}-s${k}`;
  const buyerId = `${plan.tag}-b${k}`;
  const sellerToken = await issueToken(secret, { sub: sellerId, role: 'seller' });
  const limits = { ...SYSTEM_CAPS, ...plan.limits };
  const enable = { agreement: { authCode: 'BENCH-OK' }, limits };
  await patiently(() => api.expect(200, 'POST', '/v1/payout-account/enable', { token: sellerToken, body: enable }));
  const recharge = { amount: plan.ordersPerSeller * PAYOUT_AMOUNT_FEN };
  const key = { 'idempotency-key': `${plan.tag}-recharge-${k}` };
  await patiently(() => api.expect(201, 'POST', '/v1/payout-account/recharges', { token: sellerToken, body: recharge, headers: key }));
  const operatorTokens = [sellerToken];
  for (let m = 0; m < (plan.subAccountsPerSeller ?? 0); m++) {
    const subId = `${sellerId}-op${m}`;
    await patiently(() => api.expect(200, 'PUT', `/v1/sub-accounts/${subId}/permissions`, { token: sellerToken, body: { payout: true } }));
    operatorTokens.push(await issueToken(secret, { sub: subId, role: 'sub_account', seller_id: sellerId }));
  }
  return { sellerId, buyerId, buyerToken: await issueToken(secret, { sub: buyerId, role: 'buyer' }), operatorTokens };
}
