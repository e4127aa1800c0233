/** The fault run's sellers, each with its buyer, an enabled account and a funded reserve. */
import { issueToken, secretKey } from '../api/auth';
import type { ChaosClient } from './http';

export const CHAOS_SECRET = 'chaos-secret-0123456789abcdef0123456789';
export const SELLER_PAYOUTS_MAX = 500; // well under the system's 1,000 a day
export const PAYOUT_FEN_MAX = 1_000;

export interface Market {
  /** The trade system's token: it pushes and changes orders. */
  system: string;
  sellers: { id: string; token: string; buyerToken: string; buyerId: string }[];
}

export async function setUpMarket(client: ChaosClient, payouts: number): Promise<Market> {
  const key = secretKey(CHAOS_SECRET);
  const count = Math.max(1, Math.ceil(payouts / SELLER_PAYOUTS_MAX));
  const system = await issueToken(key, { sub: 'trade-system', role: 'system' });
  const sellers = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const id = `chaos-seller-${i}`;
    const buyerId = `chaos-buyer-${i}`;
    const token = await issueToken(key, { sub: id, role: 'seller' });
    const limits = { dailyCount: 1_000, dailyAmount: 500_000, perPayoutAmount: PAYOUT_FEN_MAX };
    await expectOk(client.send('POST', '/v1/payout-account/enable', token, { agreement: { authCode: 'CHAOS' }, limits }));
    await expectOk(client.send('POST', '/v1/payout-account/recharges', token, { amount: SELLER_PAYOUTS_MAX * PAYOUT_FEN_MAX }, { 'idempotency-key': `chaos-recharge-${i}` }));
    return { id, token, buyerId, buyerToken: await issueToken(key, { sub: buyerId, role: 'buyer' }) };
  }));
  return { system, sellers };
}

/** Every participant of the run: the recipients of its cards. */
export const participants = (market: Market) => market.sellers.flatMap((s) => [s.id, s.buyerId]);

export async function expectOk(answer: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`chaos setup failed: ${status} ${JSON.stringify(body)}`);
}
