/**
 * A marketplace set up through the HTTP API as the trade system and sellers would, for the
 * benchmark and the chaos run: sellers enable the tool and recharge their reserve, the trade system
 * pushes paid orders, and sellers may grant sub-accounts the payout permission. Every request
 * retries what a careful client retries (JsonClient.send).
 */
import { issueToken, type JwtKey } from '../../api/auth';
import { SYSTEM_CAPS, type Limits } from '../../domain/rules';
import type { JsonClient } from './json-client';

/** The benchmark's payouts move ¥1.00 each: far below every cap, so only the count limit can bind. */
export const PAYOUT_AMOUNT_FEN = 100;
/** A paid order of ¥100.00, ¥90.00 of it cash: at most ¥45.00 may be paid out on it. */
const ORDER_BODY = { status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 } as const;
/** Set-up requests in flight at once: enough to be quick, few enough to leave the API responsive. */
const SETUP_CONCURRENCY = 16;

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
  /** Paid orders pushed per seller (the chaos run pushes its own). */
  ordersPerSeller: number;
  /** Each seller's recharge; enough for a ¥1.00 payout per order by default. */
  rechargeFen?: number;
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

/** Runs `task` for 0..count-1, `concurrency` at a time. */
async function inLanes(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

export async function openMarket(api: JsonClient, secret: JwtKey, plan: MarketPlan): Promise<Market> {
  const systemToken = await issueToken(secret, { sub: `${plan.tag}-trade-system`, role: 'system' });
  const sellers: Seller[] = [];
  await inLanes(plan.sellers, SETUP_CONCURRENCY, async (k) => {
    sellers[k] = await openSeller(api, secret, plan, k);
  });
  const orders: OrderRef[] = Array.from({ length: plan.sellers * plan.ordersPerSeller }, (_, i) => ({
    orderId: `${plan.tag}-o${i}`,
    seller: sellers[i % plan.sellers],
  }));
  await inLanes(orders.length, SETUP_CONCURRENCY, async (i) => {
    const { orderId, seller } = orders[i];
    const body = { ...ORDER_BODY, sellerId: seller.sellerId, buyerId: seller.buyerId };
    await api.expect(200, 'PUT', `/v1/orders/${orderId}`, { token: systemToken, body, patient: true });
  });
  return { sellers, orders, systemToken };
}

async function openSeller(api: JsonClient, secret: JwtKey, plan: MarketPlan, k: number): Promise<Seller> {
  const sellerId = `${plan.tag}-s${k}`;
  const buyerId = `${plan.tag}-b${k}`;
  const sellerToken = await issueToken(secret, { sub: sellerId, role: 'seller' });
  const limits = { ...SYSTEM_CAPS, ...plan.limits };
  const enable = { agreement: { authCode: 'MARKET-OK' }, limits };
  await api.expect(200, 'POST', '/v1/payout-account/enable', { token: sellerToken, body: enable, patient: true });
  const recharge = { amount: plan.rechargeFen ?? plan.ordersPerSeller * PAYOUT_AMOUNT_FEN };
  const key = { 'idempotency-key': `${plan.tag}-recharge-${k}` };
  await api.expect(201, 'POST', '/v1/payout-account/recharges', { token: sellerToken, body: recharge, headers: key, patient: true });
  const operatorTokens = [sellerToken];
  for (let m = 0; m < (plan.subAccountsPerSeller ?? 0); m++) {
    const subId = `${sellerId}-op${m}`;
    await api.expect(200, 'PUT', `/v1/sub-accounts/${subId}/permissions`, { token: sellerToken, body: { payout: true }, patient: true });
    operatorTokens.push(await issueToken(secret, { sub: subId, role: 'sub_account', seller_id: sellerId }));
  }
  return { sellerId, buyerId, buyerToken: await issueToken(secret, { sub: buyerId, role: 'buyer' }), operatorTokens };
}

/** Every participant of a market: the recipients of its cards. */
export const participants = (market: Market) => market.sellers.flatMap((s) => [s.sellerId, s.buyerId]);
