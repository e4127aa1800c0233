/**
 * Every payout rule of SPEC §4, as pure functions. The reserve activity and the eligibility
 * endpoints both call `evaluatePayout`/`assessEligibility`, so a rule lives here and only here.
 * The caller supplies a consistent snapshot (read under the seller's row lock when it matters).
 */
import { DomainError } from './errors';
import type { Fen } from './money';

/** SPEC §4.5: the system caps per seller. Sellers may choose lower limits, never higher. */
export const SYSTEM_CAPS = Object.freeze({
  dailyCount: 1_000,
  dailyAmount: 500_000, // ¥5,000.00
  perPayoutAmount: 100_000, // ¥1,000.00
});

/** SPEC §4.7: the smallest payout. */
export const PAYOUT_AMOUNT_FEN_MIN = 1;

export interface Limits {
  dailyCount: number;
  dailyAmount: Fen;
  perPayoutAmount: Fen;
}

export const ORDER_STATUSES = ['UNPAID', 'PAID', 'SHIPPED', 'COMPLETED', 'CLOSED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_TYPES = ['STANDARD', 'CONSIGNMENT_SPLIT', 'CREDIT_TERM', 'CHENG_E_SHE'] as const;
export type PaymentType = (typeof PAYMENT_TYPES)[number];

/** SPEC §4.2: consignment split, credit term and Cheng-e-She credit never qualify. */
const EXCLUDED_PAYMENT_TYPES: ReadonlySet<PaymentType> = new Set(['CONSIGNMENT_SPLIT', 'CREDIT_TERM', 'CHENG_E_SHE']);

export type IneligibleReason = 'NOT_PAID' | 'TRADE_FINISHED' | 'UNSUPPORTED_PAYMENT_TYPE';

export interface OrderFacts {
  orderId: string;
  status: OrderStatus;
  paymentType: PaymentType;
  cashPaid: Fen;
}

export interface AccountFacts {
  enabled: boolean;
  agreementSigned: boolean;
  limits: Limits;
  availableFen: Fen;
}

export interface UsageFacts {
  count: number;
  amountFen: Fen;
}

/** The order's payout that uses up its one slot (any state but `CANCELLED`), if there is one. */
export interface ExistingPayout {
  id: string;
  status: string;
}

export interface PayoutFacts {
  account: AccountFacts;
  order: OrderFacts;
  usage: UsageFacts;
  existing: ExistingPayout | null;
}

/** SPEC §4.1–4.2: why an order does not qualify, or null when it does. */
export function orderIneligibility(order: Pick<OrderFacts, 'status' | 'paymentType'>): IneligibleReason | null {
  if (order.status === 'UNPAID') return 'NOT_PAID';
  if (order.status === 'COMPLETED' || order.status === 'CLOSED') return 'TRADE_FINISHED';
  if (EXCLUDED_PAYMENT_TYPES.has(order.paymentType)) return 'UNSUPPORTED_PAYMENT_TYPE';
  return null;
}

/** SPEC §4.4: at most half of the cash actually paid, rounded down to the fen. */
export function cashShareFen(cashPaidFen: Fen): Fen {
  return Math.floor(cashPaidFen / 2);
}

/** SPEC §3: each limit must be at or below its system cap. */
export function checkLimits(limits: Limits): DomainError | null {
  for (const key of Object.keys(SYSTEM_CAPS) as (keyof Limits)[]) {
    if (limits[key] > SYSTEM_CAPS[key]) {
      return new DomainError('LIMIT_ABOVE_SYSTEM_CAP', `${key} ${limits[key]} is above the system cap ${SYSTEM_CAPS[key]}`, {
        field: key,
        limit: SYSTEM_CAPS[key],
        asked: limits[key],
      });
    }
  }
  return null;
}

/** SPEC §4.5: the seller's own limits apply when lower than the caps. */
export function effectiveLimits(limits: Limits): Limits {
  return {
    dailyCount: Math.min(limits.dailyCount, SYSTEM_CAPS.dailyCount),
    dailyAmount: Math.min(limits.dailyAmount, SYSTEM_CAPS.dailyAmount),
    perPayoutAmount: Math.min(limits.perPayoutAmount, SYSTEM_CAPS.perPayoutAmount),
  };
}

/** SPEC §4.8, §4.1–4.3: every refusal that does not depend on the amount, in the order a user fixes them. */
function preconditionRefusals(facts: PayoutFacts): DomainError[] {
  const { account, order, existing } = facts;
  const refusals: DomainError[] = [];
  if (!account.enabled) refusals.push(new DomainError('FEATURE_DISABLED', 'the payout tool is not enabled for this seller'));
  if (!account.agreementSigned) refusals.push(new DomainError('AGREEMENT_REQUIRED', 'the withholding agreement is not signed'));
  const reason = orderIneligibility(order);
  if (reason) refusals.push(new DomainError('ORDER_NOT_ELIGIBLE', `order ${order.orderId} does not qualify: ${reason}`, { reason }));
  if (existing) {
    refusals.push(new DomainError('ORDER_ALREADY_PAID_OUT', `order ${order.orderId} already has payout ${existing.id}`, {
      payoutId: existing.id,
      payoutStatus: existing.status,
    }));
  }
  return refusals;
}

/**
 * Every rule of SPEC §4 for one payout of `amountFen`: the first refusal, or null when the payout
 * may be reserved. Checked under the seller's lock by the reserve activity.
 */
export function evaluatePayout(facts: PayoutFacts, amountFen: Fen): DomainError | null {
  if (!Number.isSafeInteger(amountFen) || amountFen < PAYOUT_AMOUNT_FEN_MIN) {
    return new DomainError('VALIDATION_ERROR', `amount must be a whole number of fen, at least ${PAYOUT_AMOUNT_FEN_MIN}`, { field: 'body.amount' });
  }
  const [refused] = preconditionRefusals(facts);
  if (refused) return refused;
  const limits = effectiveLimits(facts.account.limits);
  const share = cashShareFen(facts.order.cashPaid);
  const { usage } = facts;
  if (amountFen > limits.perPayoutAmount) {
    return new DomainError('AMOUNT_EXCEEDS_ORDER_LIMIT', `amount ${amountFen} is above the per-payout limit ${limits.perPayoutAmount}`, {
      limit: limits.perPayoutAmount,
      asked: amountFen,
    });
  }
  if (amountFen > share) {
    return new DomainError('AMOUNT_EXCEEDS_CASH_SHARE', `amount ${amountFen} is above half the cash paid (${share})`, {
      limit: share,
      cashPaid: facts.order.cashPaid,
      asked: amountFen,
    });
  }
  if (usage.count + 1 > limits.dailyCount) {
    return new DomainError('DAILY_COUNT_LIMIT_REACHED', `the daily limit of ${limits.dailyCount} payouts is reached`, {
      limit: limits.dailyCount,
      used: usage.count,
    });
  }
  if (usage.amountFen + amountFen > limits.dailyAmount) {
    return new DomainError('DAILY_AMOUNT_LIMIT_REACHED', `amount ${amountFen} would pass the daily limit ${limits.dailyAmount}`, {
      limit: limits.dailyAmount,
      used: usage.amountFen,
      asked: amountFen,
    });
  }
  if (amountFen > facts.account.availableFen) {
    return new DomainError('INSUFFICIENT_RESERVE', `the reserve holds ${facts.account.availableFen}, the payout needs ${amountFen}`, {
      available: facts.account.availableFen,
      asked: amountFen,
    });
  }
  return null;
}

export interface Eligibility {
  orderId: string;
  eligible: boolean;
  /** The largest amount a payout on this order may have right now; 0 when not eligible. */
  maxAmount: Fen;
  /** SPEC codes (or an `ORDER_NOT_ELIGIBLE` reason) explaining why not; empty when eligible. */
  reasons: string[];
}

/**
 * What the four entry points need to show or hide the button (SPEC §6): eligible, the largest
 * amount allowed (the least of cash share, per-payout limit, remaining daily amount and available
 * balance) and every reason that blocks it.
 */
export function assessEligibility(facts: PayoutFacts): Eligibility {
  const reasons = preconditionRefusals(facts).map((refused) => (refused.code === 'ORDER_NOT_ELIGIBLE' ? String(refused.details.reason) : refused.code));
  const limits = effectiveLimits(facts.account.limits);
  const share = cashShareFen(facts.order.cashPaid);
  const dailyLeft = Math.max(0, limits.dailyAmount - facts.usage.amountFen);
  if (facts.usage.count >= limits.dailyCount) reasons.push('DAILY_COUNT_LIMIT_REACHED');
  const bounds: [number, string][] = [
    [share, 'AMOUNT_EXCEEDS_CASH_SHARE'],
    [limits.perPayoutAmount, 'AMOUNT_EXCEEDS_ORDER_LIMIT'],
    [dailyLeft, 'DAILY_AMOUNT_LIMIT_REACHED'],
    [facts.account.availableFen, 'INSUFFICIENT_RESERVE'],
  ];
  const maxAmount = Math.max(0, Math.min(...bounds.map(([bound]) => bound)));
  if (maxAmount < PAYOUT_AMOUNT_FEN_MIN) {
    for (const [bound, code] of bounds) if (bound < PAYOUT_AMOUNT_FEN_MIN) reasons.push(code);
  }
  const eligible = reasons.length === 0;
  return { orderId: facts.order.orderId, eligible, maxAmount: eligible ? maxAmount : 0, reasons };
}

/**
 * SPEC §4.3, §5: the outcomes in which no money reached the buyer through no choice of the buyer
 * free the order for a new payout. `REJECTED` belongs to approval (maker-checker); it is listed so
 * that the rule stays whole when that state arrives.
 */
export const ORDER_FREEING_STATUSES: readonly string[] = Object.freeze(['CANCELLED', 'FAILED', 'REJECTED']);

export function freesOrder(status: string): boolean {
  return ORDER_FREEING_STATUSES.includes(status);
}

/** SPEC §6: the states in which a payout holds or has paid money, which a refund must not pay again. */
export const MONEY_HOLDING_STATUSES: readonly string[] = Object.freeze(['PENDING_APPROVAL', 'AWAITING_CONFIRMATION', 'CONFIRMED', 'PAID']);

/** SPEC §5: the states in which an order change still cancels the payout (nothing committed to the buyer). */
export const ORDER_CANCELLABLE_STATUSES: readonly string[] = Object.freeze(['PENDING_APPROVAL', 'AWAITING_CONFIRMATION']);

export interface OrderPayoutFacts {
  status: string;
  amountFen: Fen;
}

/** The amount of the order's payouts that hold or have paid money. */
export function heldOrPaidFen(payouts: readonly OrderPayoutFacts[]): Fen {
  return payouts.filter((p) => MONEY_HOLDING_STATUSES.includes(p.status)).reduce((sum, p) => sum + p.amountFen, 0);
}

/** SPEC §6: the cash a refund may still return without paying the payouts' money a second time. */
export function refundableCashFen(cashPaid: Fen, payouts: readonly OrderPayoutFacts[]): Fen {
  return Math.max(0, cashPaid - heldOrPaidFen(payouts));
}

/**
 * SPEC §5 "Order closed or refunded while pending": why an order in this state cancels its
 * pending payouts, or null when it leaves them alone. A refund within `refundableCash` (cash paid
 * still covering every payout that holds or paid money) changes nothing.
 */
export function orderCloseReason(order: Pick<OrderFacts, 'status' | 'cashPaid'>, payouts: readonly OrderPayoutFacts[]): 'ORDER_CLOSED' | 'ORDER_REFUNDED' | null {
  if (!payouts.some((p) => ORDER_CANCELLABLE_STATUSES.includes(p.status))) return null;
  if (order.status === 'CLOSED') return 'ORDER_CLOSED';
  if (order.cashPaid < heldOrPaidFen(payouts)) return 'ORDER_REFUNDED';
  return null;
}
