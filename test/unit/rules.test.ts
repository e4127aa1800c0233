/**
 * SPEC §4 (and the eligibility answer of §6) as table tests of the pure rule functions in
 * `domain/rules.ts`: every order status × payment type, the cash share, the limits, every refusal
 * code of `evaluatePayout` with its boundary, and `assessEligibility`'s maximum amount.
 */
import { httpStatus } from '../../api/errors';
import { DomainError, type ErrorCode } from '../../domain/errors';
import {
  ORDER_STATUSES,
  PAYMENT_TYPES,
  SYSTEM_CAPS,
  assessEligibility,
  freesOrder,
  orderCloseReason,
  refundableCashFen,
  cashShareFen,
  checkLimits,
  effectiveLimits,
  evaluatePayout,
  orderIneligibility,
  type AccountFacts,
  type ExistingPayout,
  type IneligibleReason,
  type Limits,
  type OrderFacts,
  type OrderStatus,
  type PaymentType,
  type PayoutFacts,
  type UsageFacts,
} from '../../domain/rules';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const CAPS: Limits = { ...SYSTEM_CAPS };

interface Overrides {
  account?: Partial<Omit<AccountFacts, 'limits'>>;
  limits?: Partial<Limits>;
  order?: Partial<OrderFacts>;
  usage?: Partial<UsageFacts>;
  existing?: ExistingPayout | null;
}

/**
 * A seller and an order on which any payout up to the per-payout cap is allowed: enabled,
 * agreement signed, limits at the caps, a large reserve, an untouched day, a PAID STANDARD order
 * whose cash share (500,000) is far above the per-payout cap (100,000), and no earlier payout.
 */
function facts(over: Overrides = {}): PayoutFacts {
  return {
    account: {
      enabled: true,
      agreementSigned: true,
      availableFen: 10_000_000,
      ...over.account,
      limits: { ...CAPS, ...over.limits },
    },
    order: { orderId: 'O-1', status: 'PAID', paymentType: 'STANDARD', cashPaid: 1_000_000, ...over.order },
    usage: { count: 0, amountFen: 0, ...over.usage },
    existing: over.existing === undefined ? null : over.existing,
  };
}

/** Asserts a refusal and returns it typed, so that its details can be checked. */
function expectRefusal(result: DomainError | null, code: ErrorCode): DomainError {
  expect(result).toBeInstanceOf(DomainError);
  expect(result?.code).toBe(code);
  return result as DomainError;
}

// ---------------------------------------------------------------------------------------------
// orderIneligibility — SPEC §4.1, §4.2
// ---------------------------------------------------------------------------------------------

describe('orderIneligibility (SPEC §4.1–4.2)', () => {
  // Precedence as implemented: the order status is checked before the payment type, so an UNPAID,
  // COMPLETED or CLOSED order reports its status even when its payment type is excluded as well.
  const table: [OrderStatus, PaymentType, IneligibleReason | null][] = [
    ['UNPAID', 'STANDARD', 'NOT_PAID'],
    ['UNPAID', 'CONSIGNMENT_SPLIT', 'NOT_PAID'],
    ['UNPAID', 'CREDIT_TERM', 'NOT_PAID'],
    ['UNPAID', 'CHENG_E_SHE', 'NOT_PAID'],
    ['PAID', 'STANDARD', null],
    ['PAID', 'CONSIGNMENT_SPLIT', 'UNSUPPORTED_PAYMENT_TYPE'],
    ['PAID', 'CREDIT_TERM', 'UNSUPPORTED_PAYMENT_TYPE'],
    ['PAID', 'CHENG_E_SHE', 'UNSUPPORTED_PAYMENT_TYPE'],
    ['SHIPPED', 'STANDARD', null],
    ['SHIPPED', 'CONSIGNMENT_SPLIT', 'UNSUPPORTED_PAYMENT_TYPE'],
    ['SHIPPED', 'CREDIT_TERM', 'UNSUPPORTED_PAYMENT_TYPE'],
    ['SHIPPED', 'CHENG_E_SHE', 'UNSUPPORTED_PAYMENT_TYPE'],
    ['COMPLETED', 'STANDARD', 'TRADE_FINISHED'],
    ['COMPLETED', 'CONSIGNMENT_SPLIT', 'TRADE_FINISHED'],
    ['COMPLETED', 'CREDIT_TERM', 'TRADE_FINISHED'],
    ['COMPLETED', 'CHENG_E_SHE', 'TRADE_FINISHED'],
    ['CLOSED', 'STANDARD', 'TRADE_FINISHED'],
    ['CLOSED', 'CONSIGNMENT_SPLIT', 'TRADE_FINISHED'],
    ['CLOSED', 'CREDIT_TERM', 'TRADE_FINISHED'],
    ['CLOSED', 'CHENG_E_SHE', 'TRADE_FINISHED'],
  ];

  test('the table covers every status × payment type exactly once', () => {
    const seen = table.map(([status, paymentType]) => `${status}/${paymentType}`);
    const all = ORDER_STATUSES.flatMap((status) => PAYMENT_TYPES.map((paymentType) => `${status}/${paymentType}`));
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...all].sort());
  });

  test.each(table)('%s order paid by %s → %s', (status, paymentType, expected) => {
    expect(orderIneligibility({ status, paymentType })).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// cashShareFen — SPEC §4.4
// ---------------------------------------------------------------------------------------------

describe('cashShareFen (SPEC §4.4)', () => {
  test('seed example: total ¥100 = 10000 fen, 1000 fen red packet, 9000 fen cash → at most 4500 fen (¥45.00)', () => {
    const totalFen = 10_000;
    const redPacketFen = 1_000;
    const cashFen = totalFen - redPacketFen;
    expect(cashFen).toBe(9_000);
    expect(cashShareFen(cashFen)).toBe(4_500);
  });

  test.each([
    [9_000, 4_500],
    [9_001, 4_500],
    [8_999, 4_499],
    [10_000, 5_000],
    [0, 0],
    [1, 0],
    [2, 1],
    [3, 1],
    [199_999, 99_999],
    [200_000, 100_000],
    [200_001, 100_000],
    [1_000_000_000_001, 500_000_000_000],
  ])('cash %i fen → share %i fen (half, rounded down to the fen)', (cash, share) => {
    const result = cashShareFen(cash);
    expect(result).toBe(share);
    expect(Number.isSafeInteger(result)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// checkLimits — SPEC §3
// ---------------------------------------------------------------------------------------------

describe('checkLimits (SPEC §3)', () => {
  test.each<[string, Limits]>([
    ['all limits at the caps', { ...CAPS }],
    ['all limits below the caps', { dailyCount: 10, dailyAmount: 20_000, perPayoutAmount: 5_000 }],
    ['dailyCount at cap, others lower', { dailyCount: 1_000, dailyAmount: 1, perPayoutAmount: 1 }],
    ['dailyAmount at cap, others lower', { dailyCount: 1, dailyAmount: 500_000, perPayoutAmount: 1 }],
    ['perPayoutAmount at cap, others lower', { dailyCount: 1, dailyAmount: 1, perPayoutAmount: 100_000 }],
  ])('%s → accepted', (_name, limits) => {
    expect(checkLimits(limits)).toBeNull();
  });

  test.each<[keyof Limits, number, number]>([
    ['dailyCount', 1_000, 1_001],
    ['dailyAmount', 500_000, 500_001],
    ['perPayoutAmount', 100_000, 100_001],
    ['dailyCount', 1_000, 1_000_000],
    ['dailyAmount', 500_000, 1_000_000_000],
    ['perPayoutAmount', 100_000, 500_000],
  ])('%s above its cap %i (asked %i) → LIMIT_ABOVE_SYSTEM_CAP with field/limit/asked', (field, cap, asked) => {
    const error = expectRefusal(checkLimits({ ...CAPS, [field]: asked }), 'LIMIT_ABOVE_SYSTEM_CAP');
    expect(httpStatus(error)).toBe(422);
    expect(error.details).toEqual({ field, limit: cap, asked });
  });

  test('several limits above their caps → the first in cap order (dailyCount, dailyAmount, perPayoutAmount) is named', () => {
    const all = expectRefusal(checkLimits({ dailyCount: 1_001, dailyAmount: 500_001, perPayoutAmount: 100_001 }), 'LIMIT_ABOVE_SYSTEM_CAP');
    expect(all.details).toEqual({ field: 'dailyCount', limit: 1_000, asked: 1_001 });
    const lastTwo = expectRefusal(checkLimits({ dailyCount: 1_000, dailyAmount: 500_001, perPayoutAmount: 100_001 }), 'LIMIT_ABOVE_SYSTEM_CAP');
    expect(lastTwo.details).toEqual({ field: 'dailyAmount', limit: 500_000, asked: 500_001 });
  });
});

// ---------------------------------------------------------------------------------------------
// effectiveLimits — SPEC §4.5
// ---------------------------------------------------------------------------------------------

describe('effectiveLimits (SPEC §4.5)', () => {
  test.each<[string, Limits, Limits]>([
    ['at the caps → the caps', { ...CAPS }, { ...CAPS }],
    ['all lower → the seller limits', { dailyCount: 10, dailyAmount: 20_000, perPayoutAmount: 5_000 }, { dailyCount: 10, dailyAmount: 20_000, perPayoutAmount: 5_000 }],
    ['all higher → the caps', { dailyCount: 5_000, dailyAmount: 9_000_000, perPayoutAmount: 200_000 }, { ...CAPS }],
    ['only dailyCount lower', { ...CAPS, dailyCount: 3 }, { ...CAPS, dailyCount: 3 }],
    ['only dailyAmount lower', { ...CAPS, dailyAmount: 12_345 }, { ...CAPS, dailyAmount: 12_345 }],
    ['only perPayoutAmount lower', { ...CAPS, perPayoutAmount: 999 }, { ...CAPS, perPayoutAmount: 999 }],
    [
      'mixed: count higher, amount lower, per-payout higher',
      { dailyCount: 2_000, dailyAmount: 30_000, perPayoutAmount: 150_000 },
      { dailyCount: 1_000, dailyAmount: 30_000, perPayoutAmount: 100_000 },
    ],
    ['zero limits stay zero', { dailyCount: 0, dailyAmount: 0, perPayoutAmount: 0 }, { dailyCount: 0, dailyAmount: 0, perPayoutAmount: 0 }],
  ])('%s', (_name, limits, expected) => {
    expect(effectiveLimits(limits)).toEqual(expected);
  });

  test('does not modify its argument', () => {
    const limits = { dailyCount: 5_000, dailyAmount: 1, perPayoutAmount: 1 };
    effectiveLimits(limits);
    expect(limits).toEqual({ dailyCount: 5_000, dailyAmount: 1, perPayoutAmount: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// evaluatePayout — SPEC §4
// ---------------------------------------------------------------------------------------------

describe('evaluatePayout (SPEC §4)', () => {
  test.each([1, 4_500, 100_000])('a valid payout of %i fen on a qualifying order → allowed', (amount) => {
    expect(evaluatePayout(facts(), amount)).toBeNull();
  });

  describe('FEATURE_DISABLED and AGREEMENT_REQUIRED (SPEC §4.8)', () => {
    test.each<[string, Overrides, ErrorCode, number]>([
      ['tool disabled', { account: { enabled: false } }, 'FEATURE_DISABLED', 409],
      ['tool disabled and agreement unsigned → disabled first', { account: { enabled: false, agreementSigned: false } }, 'FEATURE_DISABLED', 409],
      ['agreement not signed', { account: { agreementSigned: false } }, 'AGREEMENT_REQUIRED', 422],
      ['agreement not signed and order unpaid → agreement first', { account: { agreementSigned: false }, order: { status: 'UNPAID' } }, 'AGREEMENT_REQUIRED', 422],
    ])('%s → %s (HTTP %i)', (_name, over, code, status) => {
      const error = expectRefusal(evaluatePayout(facts(over), 100), code);
      expect(httpStatus(error)).toBe(status);
    });
  });

  describe('ORDER_NOT_ELIGIBLE (SPEC §4.1–4.2)', () => {
    test.each<[OrderStatus, PaymentType, IneligibleReason]>([
      ['UNPAID', 'STANDARD', 'NOT_PAID'],
      ['COMPLETED', 'STANDARD', 'TRADE_FINISHED'],
      ['CLOSED', 'STANDARD', 'TRADE_FINISHED'],
      ['PAID', 'CONSIGNMENT_SPLIT', 'UNSUPPORTED_PAYMENT_TYPE'],
      ['PAID', 'CREDIT_TERM', 'UNSUPPORTED_PAYMENT_TYPE'],
      ['SHIPPED', 'CHENG_E_SHE', 'UNSUPPORTED_PAYMENT_TYPE'],
      ['UNPAID', 'CREDIT_TERM', 'NOT_PAID'],
      ['CLOSED', 'CONSIGNMENT_SPLIT', 'TRADE_FINISHED'],
    ])('%s order paid by %s → ORDER_NOT_ELIGIBLE, reason %s', (status, paymentType, reason) => {
      const error = expectRefusal(evaluatePayout(facts({ order: { status, paymentType } }), 100), 'ORDER_NOT_ELIGIBLE');
      expect(httpStatus(error)).toBe(422);
      expect(error.details).toEqual({ reason });
      expect(error.message).toContain('O-1');
    });

    test.each<[OrderStatus]>([['PAID'], ['SHIPPED']])('%s STANDARD order → allowed', (status) => {
      expect(evaluatePayout(facts({ order: { status } }), 100)).toBeNull();
    });
  });

  describe('ORDER_ALREADY_PAID_OUT (SPEC §4.3)', () => {
    // The caller passes the payout that holds the order's one slot (any state but CANCELLED);
    // whatever that payout's state, the new attempt is refused and names it.
    test.each(['AWAITING_CONFIRMATION', 'CONFIRMED', 'PAID', 'FAILED', 'EXPIRED', 'DECLINED'])(
      'an earlier payout in state %s → refused, naming the payout id and state',
      (status) => {
        const error = expectRefusal(evaluatePayout(facts({ existing: { id: 'P-earlier-42', status } }), 100), 'ORDER_ALREADY_PAID_OUT');
        expect(httpStatus(error)).toBe(409);
        expect(error.details).toEqual({ payoutId: 'P-earlier-42', payoutStatus: status });
        expect(error.message).toContain('P-earlier-42');
      },
    );

    test('no earlier payout → allowed', () => {
      expect(evaluatePayout(facts({ existing: null }), 100)).toBeNull();
    });
  });

  describe('AMOUNT_EXCEEDS_ORDER_LIMIT (SPEC §4.5, per payout)', () => {
    test.each<[string, Overrides, number, number]>([
      // [name, facts, limit, amount at the limit]
      ['system cap ¥1,000.00', {}, 100_000, 100_000],
      ['seller limit ¥50.00 below the cap', { limits: { perPayoutAmount: 5_000 } }, 5_000, 5_000],
      ['seller limit 1 fen', { limits: { perPayoutAmount: 1 } }, 1, 1],
      ['seller limit above the cap → the cap applies', { limits: { perPayoutAmount: 200_000 } }, 100_000, 100_000],
    ])('%s: exactly the limit allowed, one fen over refused', (_name, over, limit, atLimit) => {
      expect(evaluatePayout(facts(over), atLimit)).toBeNull();
      const error = expectRefusal(evaluatePayout(facts(over), atLimit + 1), 'AMOUNT_EXCEEDS_ORDER_LIMIT');
      expect(httpStatus(error)).toBe(422);
      expect(error.details).toEqual({ limit, asked: atLimit + 1 });
    });
  });

  describe('AMOUNT_EXCEEDS_CASH_SHARE (SPEC §4.4)', () => {
    test.each<[number, number]>([
      // [cashPaid, share]
      [9_000, 4_500], // the seed example: ¥100 total, ¥10 red packet, ¥90 cash → ¥45.00
      [9_001, 4_500],
      [3, 1],
      [2, 1],
      [199_999, 99_999],
    ])('cash paid %i fen: %i fen allowed, one fen more refused', (cashPaid, share) => {
      expect(evaluatePayout(facts({ order: { cashPaid } }), share)).toBeNull();
      const error = expectRefusal(evaluatePayout(facts({ order: { cashPaid } }), share + 1), 'AMOUNT_EXCEEDS_CASH_SHARE');
      expect(httpStatus(error)).toBe(422);
      expect(error.details).toEqual({ limit: share, cashPaid, asked: share + 1 });
    });

    test.each([0, 1])('cash paid %i fen: even 1 fen is refused (share 0)', (cashPaid) => {
      const error = expectRefusal(evaluatePayout(facts({ order: { cashPaid } }), 1), 'AMOUNT_EXCEEDS_CASH_SHARE');
      expect(error.details).toEqual({ limit: 0, cashPaid, asked: 1 });
    });
  });

  describe('DAILY_COUNT_LIMIT_REACHED (SPEC §4.5)', () => {
    test.each<[string, Overrides['limits'], number]>([
      ['system cap 1,000', {}, 1_000],
      ['seller limit 10', { dailyCount: 10 }, 10],
      ['seller limit 1', { dailyCount: 1 }, 1],
      ['seller limit above the cap → the cap applies', { dailyCount: 5_000 }, 1_000],
    ])('%s: the last allowed payout passes, one more is refused', (_name, limits, limit) => {
      // `usage.count` payouts already initiated today; this one would be number count + 1.
      expect(evaluatePayout(facts({ limits, usage: { count: limit - 1 } }), 100)).toBeNull();
      const error = expectRefusal(evaluatePayout(facts({ limits, usage: { count: limit } }), 100), 'DAILY_COUNT_LIMIT_REACHED');
      expect(httpStatus(error)).toBe(422);
      expect(error.details).toEqual({ limit, used: limit });
    });

    test('a seller limit lowered below today’s count → refused, reporting the count used', () => {
      const error = expectRefusal(evaluatePayout(facts({ limits: { dailyCount: 5 }, usage: { count: 8 } }), 1), 'DAILY_COUNT_LIMIT_REACHED');
      expect(error.details).toEqual({ limit: 5, used: 8 });
    });
  });

  describe('DAILY_AMOUNT_LIMIT_REACHED (SPEC §4.5)', () => {
    test.each<[string, Overrides['limits'], number, number, number]>([
      // [name, limits, limit, used today, amount that reaches the limit exactly]
      ['system cap ¥5,000.00, ¥4,100 used', {}, 500_000, 410_000, 90_000],
      ['system cap, 1 fen left', {}, 500_000, 499_999, 1],
      ['seller limit ¥200.00, ¥150 used', { dailyAmount: 20_000 }, 20_000, 15_000, 5_000],
      ['seller limit above the cap → the cap applies', { dailyAmount: 900_000 }, 500_000, 450_000, 50_000],
    ])('%s: reaching the limit exactly allowed, one fen over refused', (_name, limits, limit, used, amount) => {
      expect(evaluatePayout(facts({ limits, usage: { amountFen: used } }), amount)).toBeNull();
      const error = expectRefusal(evaluatePayout(facts({ limits, usage: { amountFen: used } }), amount + 1), 'DAILY_AMOUNT_LIMIT_REACHED');
      expect(httpStatus(error)).toBe(422);
      expect(error.details).toEqual({ limit, used, asked: amount + 1 });
    });

    test('the daily amount already used up → even 1 fen is refused', () => {
      const error = expectRefusal(evaluatePayout(facts({ usage: { amountFen: 500_000 } }), 1), 'DAILY_AMOUNT_LIMIT_REACHED');
      expect(error.details).toEqual({ limit: 500_000, used: 500_000, asked: 1 });
    });
  });

  describe('INSUFFICIENT_RESERVE (SPEC §3)', () => {
    test.each<[number, number]>([
      // [available, amount equal to it]
      [4_500, 4_500],
      [1, 1],
      [99_999, 99_999],
    ])('available %i fen: a payout of all of it allowed, one fen more refused', (available, amount) => {
      expect(evaluatePayout(facts({ account: { availableFen: available } }), amount)).toBeNull();
      const error = expectRefusal(evaluatePayout(facts({ account: { availableFen: available } }), amount + 1), 'INSUFFICIENT_RESERVE');
      expect(httpStatus(error)).toBe(422);
      expect(error.details).toEqual({ available, asked: amount + 1 });
    });

    test('an empty reserve → 1 fen refused', () => {
      const error = expectRefusal(evaluatePayout(facts({ account: { availableFen: 0 } }), 1), 'INSUFFICIENT_RESERVE');
      expect(error.details).toEqual({ available: 0, asked: 1 });
    });
  });

  describe('precedence: the first refusal in the order the code checks', () => {
    // Each row breaks two rules; the earlier check wins.
    test.each<[string, Overrides, number, ErrorCode]>([
      ['disabled + order unpaid', { account: { enabled: false }, order: { status: 'UNPAID' } }, 100, 'FEATURE_DISABLED'],
      ['agreement missing + already paid out', { account: { agreementSigned: false }, existing: { id: 'P-1', status: 'PAID' } }, 100, 'AGREEMENT_REQUIRED'],
      ['order not eligible + already paid out', { order: { status: 'COMPLETED' }, existing: { id: 'P-1', status: 'PAID' } }, 100, 'ORDER_NOT_ELIGIBLE'],
      ['already paid out + amount above every limit', { existing: { id: 'P-1', status: 'EXPIRED' } }, 999_999, 'ORDER_ALREADY_PAID_OUT'],
      ['above per-payout limit + above cash share', { order: { cashPaid: 100 } }, 100_001, 'AMOUNT_EXCEEDS_ORDER_LIMIT'],
      ['above cash share + daily count reached', { order: { cashPaid: 100 }, usage: { count: 1_000 } }, 51, 'AMOUNT_EXCEEDS_CASH_SHARE'],
      ['daily count reached + daily amount reached', { usage: { count: 1_000, amountFen: 500_000 } }, 100, 'DAILY_COUNT_LIMIT_REACHED'],
      ['daily amount reached + reserve empty', { usage: { amountFen: 500_000 }, account: { availableFen: 0 } }, 100, 'DAILY_AMOUNT_LIMIT_REACHED'],
    ])('%s → %s', (_name, over, amount, code) => {
      expectRefusal(evaluatePayout(facts(over), amount), code);
    });
  });

  test('seller limits lower than the caps take effect together', () => {
    const over: Overrides = { limits: { dailyCount: 3, dailyAmount: 10_000, perPayoutAmount: 4_000 }, usage: { count: 2, amountFen: 6_000 } };
    expect(evaluatePayout(facts(over), 4_000)).toBeNull();
    expectRefusal(evaluatePayout(facts(over), 4_001), 'AMOUNT_EXCEEDS_ORDER_LIMIT');
    expectRefusal(evaluatePayout(facts({ ...over, usage: { count: 2, amountFen: 6_001 } }), 4_000), 'DAILY_AMOUNT_LIMIT_REACHED');
    expectRefusal(evaluatePayout(facts({ ...over, usage: { count: 3, amountFen: 0 } }), 1), 'DAILY_COUNT_LIMIT_REACHED');
  });
});

// ---------------------------------------------------------------------------------------------
// assessEligibility — SPEC §6
// ---------------------------------------------------------------------------------------------

describe('assessEligibility (SPEC §6)', () => {
  describe('eligible: maxAmount is the least of cash share, per-payout limit, remaining daily amount and available balance', () => {
    test.each<[string, Overrides, number]>([
      // Each row makes one bound strictly the smallest.
      ['cash share binds (seed example: 9000 fen cash → 4500)', { order: { cashPaid: 9_000 } }, 4_500],
      ['cash share binds (odd cash 9001 → 4500)', { order: { cashPaid: 9_001 } }, 4_500],
      ['system per-payout cap binds', { order: { cashPaid: 1_000_000 } }, 100_000],
      ['seller per-payout limit binds', { limits: { perPayoutAmount: 3_000 } }, 3_000],
      ['remaining daily amount binds (system cap)', { usage: { count: 5, amountFen: 470_000 } }, 30_000],
      ['remaining daily amount binds (seller limit)', { limits: { dailyAmount: 20_000 }, usage: { count: 1, amountFen: 12_500 } }, 7_500],
      ['available balance binds', { account: { availableFen: 2_345 } }, 2_345],
      ['everything at exactly 1 fen', { order: { cashPaid: 2 }, account: { availableFen: 1 }, usage: { count: 999, amountFen: 499_999 }, limits: { perPayoutAmount: 1 } }, 1],
    ])('%s → maxAmount %i', (_name, over, maxAmount) => {
      const result = assessEligibility(facts(over));
      expect(result).toEqual({ orderId: 'O-1', eligible: true, maxAmount, reasons: [] });
      // The answer agrees with evaluatePayout: the max is allowed, one fen more is refused.
      expect(evaluatePayout(facts(over), maxAmount)).toBeNull();
      expect(evaluatePayout(facts(over), maxAmount + 1)).toBeInstanceOf(DomainError);
    });

    test('the last payout of the day by count is still eligible', () => {
      expect(assessEligibility(facts({ usage: { count: 999 } }))).toMatchObject({ eligible: true, maxAmount: 100_000 });
      expect(assessEligibility(facts({ limits: { dailyCount: 2 }, usage: { count: 1 } }))).toMatchObject({ eligible: true });
    });

    test('SHIPPED orders are eligible too', () => {
      expect(assessEligibility(facts({ order: { status: 'SHIPPED', cashPaid: 500 } }))).toEqual({ orderId: 'O-1', eligible: true, maxAmount: 250, reasons: [] });
    });
  });

  describe('not eligible: reasons given, maxAmount 0', () => {
    test.each<[string, Overrides, string[]]>([
      ['tool disabled', { account: { enabled: false } }, ['FEATURE_DISABLED']],
      ['agreement not signed', { account: { agreementSigned: false } }, ['AGREEMENT_REQUIRED']],
      ['UNPAID order → the ORDER_NOT_ELIGIBLE reason itself', { order: { status: 'UNPAID' } }, ['NOT_PAID']],
      ['COMPLETED order', { order: { status: 'COMPLETED' } }, ['TRADE_FINISHED']],
      ['CLOSED order', { order: { status: 'CLOSED' } }, ['TRADE_FINISHED']],
      ['consignment split', { order: { paymentType: 'CONSIGNMENT_SPLIT' } }, ['UNSUPPORTED_PAYMENT_TYPE']],
      ['credit term', { order: { paymentType: 'CREDIT_TERM' } }, ['UNSUPPORTED_PAYMENT_TYPE']],
      ['Cheng-e-She', { order: { paymentType: 'CHENG_E_SHE' } }, ['UNSUPPORTED_PAYMENT_TYPE']],
      ['already paid out', { existing: { id: 'P-9', status: 'AWAITING_CONFIRMATION' } }, ['ORDER_ALREADY_PAID_OUT']],
      ['daily count reached (system cap)', { usage: { count: 1_000 } }, ['DAILY_COUNT_LIMIT_REACHED']],
      ['daily count reached (seller limit)', { limits: { dailyCount: 4 }, usage: { count: 4 } }, ['DAILY_COUNT_LIMIT_REACHED']],
      ['daily amount used up', { usage: { count: 1, amountFen: 500_000 } }, ['DAILY_AMOUNT_LIMIT_REACHED']],
      ['daily amount over a lowered seller limit', { limits: { dailyAmount: 1_000 }, usage: { count: 1, amountFen: 3_000 } }, ['DAILY_AMOUNT_LIMIT_REACHED']],
      ['empty reserve', { account: { availableFen: 0 } }, ['INSUFFICIENT_RESERVE']],
      ['cash paid 1 fen → share 0', { order: { cashPaid: 1 } }, ['AMOUNT_EXCEEDS_CASH_SHARE']],
      ['cash paid 0', { order: { cashPaid: 0 } }, ['AMOUNT_EXCEEDS_CASH_SHARE']],
      ['seller per-payout limit 0', { limits: { perPayoutAmount: 0 } }, ['AMOUNT_EXCEEDS_ORDER_LIMIT']],
      // Every precondition is reported, then every bound below 1 fen in the order cash share,
      // per-payout, daily amount, reserve.
      ['disabled and unpaid → both', { account: { enabled: false }, order: { status: 'UNPAID' } }, ['FEATURE_DISABLED', 'NOT_PAID']],
      ['unpaid and excluded payment type → status reason only', { order: { status: 'UNPAID', paymentType: 'CREDIT_TERM' } }, ['NOT_PAID']],
      ['closed order and empty reserve', { order: { status: 'CLOSED' }, account: { availableFen: 0 } }, ['TRADE_FINISHED', 'INSUFFICIENT_RESERVE']],
      ['count reached and daily amount used up', { usage: { count: 1_000, amountFen: 500_000 } }, ['DAILY_COUNT_LIMIT_REACHED', 'DAILY_AMOUNT_LIMIT_REACHED']],
      [
        'no cash share, no daily amount left, no reserve',
        { order: { cashPaid: 1 }, usage: { count: 1, amountFen: 500_000 }, account: { availableFen: 0 } },
        ['AMOUNT_EXCEEDS_CASH_SHARE', 'DAILY_AMOUNT_LIMIT_REACHED', 'INSUFFICIENT_RESERVE'],
      ],
      [
        'the account of an unknown seller (as db/orders/orders.ts builds it)',
        { account: { enabled: false, agreementSigned: false, availableFen: 0 }, limits: { dailyCount: 0, dailyAmount: 0, perPayoutAmount: 0 } },
        ['FEATURE_DISABLED', 'AGREEMENT_REQUIRED', 'DAILY_COUNT_LIMIT_REACHED', 'AMOUNT_EXCEEDS_ORDER_LIMIT', 'DAILY_AMOUNT_LIMIT_REACHED', 'INSUFFICIENT_RESERVE'],
      ],
    ])('%s → %j', (_name, over, reasons) => {
      expect(assessEligibility(facts(over))).toEqual({ orderId: 'O-1', eligible: false, maxAmount: 0, reasons });
    });

    test('maxAmount is 0 even when the amount bounds are large', () => {
      // Every bound is ≥ 100,000 fen, but the order is finished: nothing may be paid.
      const result = assessEligibility(facts({ order: { status: 'COMPLETED' } }));
      expect(result.maxAmount).toBe(0);
      expect(result.eligible).toBe(false);
    });

    test('the orderId is echoed', () => {
      expect(assessEligibility(facts({ order: { orderId: 'ORDER-777', status: 'UNPAID' } })).orderId).toBe('ORDER-777');
    });
  });
});

describe('evaluatePayout refuses amounts that are not whole fen of at least 1 (SPEC §4.7)', () => {
  test.each([0, -1, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('%p', (amount) => {
    const refusal = evaluatePayout(facts(), amount);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'body.amount' } });
  });
});

describe('order changes and refundable cash (SPEC §5 "The edges", §6)', () => {
  const held = (status: string, amountFen = 4_000) => ({ status, amountFen });

  test.each([
    ['no payouts', 9_000, [], 9_000],
    ['a pending payout', 9_000, [held('AWAITING_CONFIRMATION')], 5_000],
    ['one awaiting approval', 9_000, [held('PENDING_APPROVAL')], 5_000],
    ['a confirmed one', 9_000, [held('CONFIRMED')], 5_000],
    ['a paid one and a cancelled one', 9_000, [held('PAID'), held('CANCELLED', 3_000)], 5_000],
    ['released ones only', 9_000, [held('CANCELLED'), held('FAILED'), held('REJECTED'), held('EXPIRED'), held('DECLINED')], 9_000],
    ['more held than paid (never negative)', 3_000, [held('PAID')], 0],
  ])('refundableCash with %s', (_name, cashPaid, payouts, expected) => {
    expect(refundableCashFen(cashPaid, payouts)).toBe(expected);
  });

  test.each([
    ['closed, payout pending', 'CLOSED', 9_000, [held('AWAITING_CONFIRMATION')], 'ORDER_CLOSED'],
    ['closed, payout awaiting approval', 'CLOSED', 9_000, [held('PENDING_APPROVAL')], 'ORDER_CLOSED'],
    ['refunded below the held amount', 'PAID', 3_999, [held('AWAITING_CONFIRMATION')], 'ORDER_REFUNDED'],
    ['refunded exactly to the held amount', 'SHIPPED', 4_000, [held('AWAITING_CONFIRMATION')], null],
    ['closed, payout confirmed', 'CLOSED', 0, [held('CONFIRMED')], null],
    ['closed, payout paid', 'CLOSED', 0, [held('PAID')], null],
    ['closed, payout cancelled', 'CLOSED', 0, [held('CANCELLED')], null],
    ['completed, payout pending', 'COMPLETED', 9_000, [held('AWAITING_CONFIRMATION')], null],
  ] as const)('orderCloseReason: %s', (_name, status, cashPaid, payouts, expected) => {
    expect(orderCloseReason({ status, cashPaid }, payouts)).toBe(expected);
  });

  test('CANCELLED, FAILED and REJECTED free the order; the other ends use it up', () => {
    expect(['CANCELLED', 'FAILED', 'REJECTED'].every(freesOrder)).toBe(true);
    expect(['AWAITING_CONFIRMATION', 'CONFIRMED', 'PAID', 'EXPIRED', 'DECLINED'].some(freesOrder)).toBe(false);
  });
});
