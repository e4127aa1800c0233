/** Sets up a seller, a buyer and orders through the HTTP API, as the trade system and seller would. */
import { idFromKey } from '../../api/idempotency';
import { asId } from '../../domain/id';
import type { Stack } from './stack';
import { uniqueId } from './stack';

export const DEFAULT_LIMITS = { dailyCount: 100, dailyAmount: 500_000, perPayoutAmount: 100_000 };

export interface Market {
  sellerId: string;
  buyerId: string;
  seller: string;
  buyer: string;
  system: string;
  auditor: string;
  /** Creates an order of this seller and buyer (PAID, STANDARD, ¥100 of which ¥90 cash, unless told otherwise). */
  order(overrides?: Record<string, unknown>): Promise<string>;
  account(): Promise<{ balance: { available: number; held: number }; today: { count: number; amount: number } }>;
  createPayout(body: Record<string, unknown>, headers?: Record<string, string>): ReturnType<Stack['http']['post']>;
}

export async function openMarket(stack: Stack, options: { reserveFen?: number; limits?: typeof DEFAULT_LIMITS; sellerId?: string } = {}): Promise<Market> {
  const sellerId = options.sellerId ?? uniqueId('seller');
  const buyerId = uniqueId('buyer');
  const [seller, buyer, system, auditor] = await Promise.all([
    stack.token(sellerId, 'seller'),
    stack.token(buyerId, 'buyer'),
    stack.token('trade-system', 'system'),
    stack.token('auditor-1', 'auditor'),
  ]);
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  await stack.http
    .post('/v1/payout-account/enable')
    .set(auth(seller))
    .send({ agreement: { authCode: 'OK123456' }, limits: options.limits ?? DEFAULT_LIMITS })
    .expect(200);
  const reserveFen = options.reserveFen ?? 100_000;
  if (reserveFen > 0) {
    await stack.http.post('/v1/payout-account/recharges').set(auth(seller)).set('Idempotency-Key', uniqueId('rc')).send({ amount: reserveFen }).expect(201);
  }
  return {
    sellerId,
    buyerId,
    seller,
    buyer,
    system,
    auditor,
    async order(overrides = {}) {
      const orderId = uniqueId('order');
      await stack.http
        .put(`/v1/orders/${orderId}`)
        .set(auth(system))
        .send({ sellerId, buyerId, status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000, ...overrides })
        .expect(200);
      return orderId;
    },
    async account() {
      const res = await stack.http.get('/v1/payout-account').set(auth(seller)).expect(200);
      return res.body;
    },
    createPayout(body, headers = {}) {
      return stack.http.post('/v1/payouts').set(auth(seller)).set(headers).send({ reason: 'PRICE_DIFFERENCE', ...body });
    },
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The id the API derives for a seller's payout, recharge or withdrawal with this Idempotency-Key. */
export function sellerKeyId(operation: 'payout' | 'recharge' | 'withdrawal', sellerId: string, key: string): string {
  return idFromKey(operation, { id: asId(sellerId), role: 'seller', sellerId: asId(sellerId) }, key);
}

/** The payout id the API derives for a seller's create with this Idempotency-Key. */
export function sellerPayoutId(sellerId: string, key: string): string {
  return sellerKeyId('payout', sellerId, key);
}
