/**
 * Demo data for `npm start`, written through the same code paths as the API (idempotent, so a
 * restart finds it there): an enabled seller with a funded reserve, a sub-account holding the
 * payout permission whose payouts from ¥20.00 wait for the seller's approval, a buyer, and orders
 * that are and are not eligible (one large enough for the tour's automatic top-up).
 */
import type { Orm } from '../db/orm';
import { creditRecharge, enableAccount, setApprovalPolicy, setSubAccountPermission } from '../db/reserve/accounts';
import { upsertOrder } from '../db/orders/orders';
import type { OrderFields } from '../db/orders/entities';
import { asId } from '../domain/id';
import type { PaymentProvider } from '../provider/provider';

export const DEMO = Object.freeze({
  sellerId: asId('seller-demo'),
  subAccountId: asId('seller-demo-ops'),
  buyerId: 'buyer-demo',
  reserveFen: 100_000, // ¥1,000.00
  limits: { dailyCount: 100, dailyAmount: 200_000, perPayoutAmount: 50_000 },
  /** The sub-account's payouts of ¥20.00 or more wait for the seller's approval (maker-checker). */
  approvalThresholdFen: 2_000,
});

const base: Omit<OrderFields, 'status' | 'paymentType'> = {
  sellerId: DEMO.sellerId,
  buyerId: DEMO.buyerId,
  totalAmountFen: 10_000,
  cashPaidFen: 9_000,
  nonCashPaidFen: 1_000,
};

export const DEMO_ORDERS: Record<string, OrderFields> = {
  'ORD-DEMO-PAID': { ...base, status: 'PAID', paymentType: 'STANDARD' },
  'ORD-DEMO-SHIPPED': { ...base, status: 'SHIPPED', paymentType: 'STANDARD' },
  'ORD-DEMO-COMPLETED': { ...base, status: 'COMPLETED', paymentType: 'STANDARD' },
  'ORD-DEMO-CREDIT-TERM': { ...base, status: 'PAID', paymentType: 'CREDIT_TERM' },
  // ¥1,000.00 in cash, so that one payout of ¥500.00 (the demo's per-payout limit) crosses the tour's top-up threshold.
  'ORD-DEMO-BULK': { ...base, totalAmountFen: 100_000, cashPaidFen: 100_000, nonCashPaidFen: 0, status: 'PAID', paymentType: 'STANDARD' },
};

export async function seedDemo(orm: Orm, provider: PaymentProvider, now = new Date()): Promise<void> {
  const em = () => orm.em.fork();
  const signed = await provider.signAgreement(DEMO.sellerId, 'DEMO-AUTH-CODE');
  if (signed.status !== 'SIGNED') throw new Error(`demo agreement refused: ${signed.code}`);
  const seller = { id: DEMO.sellerId, role: 'seller' };
  await enableAccount(em(), DEMO.sellerId, { agreementId: signed.agreementId, limits: DEMO.limits }, seller, now);
  const withheld = await provider.withhold('recharge:demo-initial-reserve', DEMO.sellerId, DEMO.reserveFen);
  if (withheld.status !== 'SUCCEEDED') throw new Error('demo recharge refused');
  await creditRecharge(em(), DEMO.sellerId, 'demo-initial-reserve', DEMO.reserveFen, now);
  await setSubAccountPermission(em(), DEMO.sellerId, DEMO.subAccountId, true, seller, now);
  await setApprovalPolicy(em(), DEMO.sellerId, { subAccountThreshold: DEMO.approvalThresholdFen }, seller, now);
  for (const [orderId, fields] of Object.entries(DEMO_ORDERS)) await upsertOrder(em(), orderId, fields, now);
}
