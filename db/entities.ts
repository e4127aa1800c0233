/**
 * Entities of the service, one class each, mapped with `EntitySchema` (no decorators, so the code
 * runs unchanged under tsx, swc and tsc). Required fields are set in constructors; money columns
 * are BIGINT fen mapped to JS numbers (checked as safe integers where they enter).
 */
import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { IdType } from './id-type';
import type { Fen } from '../domain/money';
import type { CloseReason, OrderCloseReason, PayoutReason, PayoutStatus } from '../domain/payout';
import type { Limits, OrderStatus, PaymentType } from '../domain/rules';

const fen = () => ({ type: new BigIntType('number') });
/** Id columns refuse non-strings in rows and in conditions (db/id-type.ts). */
const id = (nullable = false) => ({ type: IdType, nullable });
const time = (nullable = false) => ({ type: 'datetime', length: 3, nullable });

export class SellerAccount {
  enabled = false;
  agreementId: string | null = null;
  agreementSignedAt: Date | null = null;
  lowBalanceThresholdFen: Fen | null = null;
  /** SPEC §5 maker-checker: a sub-account's payout of at least this waits for the main account; null: never. */
  approvalThresholdFen: Fen | null = null;
  /** SPEC §5 automatic top-up (db/reserve/top-ups.ts): all three set, or all three null (off). */
  autoTopUpThresholdFen: Fen | null = null;
  autoTopUpAmountFen: Fen | null = null;
  autoTopUpDailyMaxFen: Fen | null = null;
  availableFen: Fen = 0;
  heldFen: Fen = 0;
  dailyCountLimit: number;
  dailyAmountLimitFen: Fen;
  perPayoutLimitFen: Fen;
  createdAt: Date;
  updatedAt: Date;

  constructor(
    readonly sellerId: string,
    limits: Limits,
    now: Date,
  ) {
    this.dailyCountLimit = limits.dailyCount;
    this.dailyAmountLimitFen = limits.dailyAmount;
    this.perPayoutLimitFen = limits.perPayoutAmount;
    this.createdAt = now;
    this.updatedAt = now;
  }

  get limits(): Limits {
    return { dailyCount: this.dailyCountLimit, dailyAmount: this.dailyAmountLimitFen, perPayoutAmount: this.perPayoutLimitFen };
  }

  setLimits(limits: Limits): void {
    this.dailyCountLimit = limits.dailyCount;
    this.dailyAmountLimitFen = limits.dailyAmount;
    this.perPayoutLimitFen = limits.perPayoutAmount;
  }
}

export const SellerAccountSchema = new EntitySchema<SellerAccount>({
  class: SellerAccount,
  tableName: 'seller_accounts',
  properties: {
    sellerId: { ...id(), primary: true, length: 64 },
    enabled: { type: 'boolean' },
    agreementId: { type: 'string', nullable: true },
    agreementSignedAt: time(true),
    dailyCountLimit: { type: 'integer' },
    dailyAmountLimitFen: fen(),
    perPayoutLimitFen: fen(),
    lowBalanceThresholdFen: { ...fen(), nullable: true },
    approvalThresholdFen: { ...fen(), nullable: true },
    autoTopUpThresholdFen: { ...fen(), nullable: true },
    autoTopUpAmountFen: { ...fen(), nullable: true },
    autoTopUpDailyMaxFen: { ...fen(), nullable: true },
    availableFen: fen(),
    heldFen: fen(),
    createdAt: time(),
    updatedAt: time(),
    limits: { type: 'json', persist: false, getter: true },
  },
});

export class SubAccount {
  canPayout = false;
  constructor(
    readonly subAccountId: string,
    readonly sellerId: string,
    public updatedAt: Date,
  ) {}
}

export const SubAccountSchema = new EntitySchema<SubAccount>({
  class: SubAccount,
  tableName: 'sub_accounts',
  properties: {
    sellerId: { ...id(), primary: true },
    subAccountId: { ...id(), primary: true },
    canPayout: { type: 'boolean' },
    updatedAt: time(),
  },
});

export interface OrderFields {
  sellerId: string;
  buyerId: string;
  status: OrderStatus;
  paymentType: PaymentType;
  totalAmountFen: Fen;
  cashPaidFen: Fen;
  nonCashPaidFen: Fen;
}

export class Order implements OrderFields {
  sellerId!: string;
  buyerId!: string;
  status!: OrderStatus;
  paymentType!: PaymentType;
  totalAmountFen!: Fen;
  cashPaidFen!: Fen;
  nonCashPaidFen!: Fen;
  updatedAt!: Date;

  constructor(
    readonly orderId: string,
    fields: OrderFields,
    now: Date,
  ) {
    this.update(fields, now);
  }

  update(fields: OrderFields, now: Date): void {
    Object.assign(this, fields);
    this.updatedAt = now;
  }
}

export const OrderSchema = new EntitySchema<Order>({
  class: Order,
  tableName: 'orders',
  properties: {
    orderId: { ...id(), primary: true },
    sellerId: id(),
    buyerId: id(),
    status: { type: 'string' },
    paymentType: { type: 'string' },
    totalAmountFen: fen(),
    cashPaidFen: fen(),
    nonCashPaidFen: fen(),
    updatedAt: time(),
  },
});

export interface NewPayout {
  id: string;
  sellerId: string;
  buyerId: string;
  orderId: string;
  amountFen: Fen;
  reason: PayoutReason;
  note: string | null;
  initiatedBy: string;
  chinaDay: string;
  createdAt: Date;
  expiresAt: Date | null;
  approvalExpiresAt: Date | null;
  status: PayoutStatus;
}

export class Payout {
  id!: string;
  sellerId!: string;
  buyerId!: string;
  orderId!: string;
  amountFen!: Fen;
  reason!: PayoutReason;
  note!: string | null;
  initiatedBy!: string;
  chinaDay!: string;
  createdAt!: Date;
  /** Null while the payout waits for approval: the buyer's window starts at the approval. */
  expiresAt!: Date | null;
  approvalExpiresAt!: Date | null;
  approvedAt: Date | null = null;
  /** The order id while this payout uses up the order's one payout; null once cancelled. */
  orderClaim: string | null;
  status!: PayoutStatus;
  confirmedAt: Date | null = null;
  paidAt: Date | null = null;
  closedAt: Date | null = null;
  closeReason: CloseReason | null = null;
  /** An order change that cancels this payout, written with the order so that no crash loses it. */
  pendingCloseReason: OrderCloseReason | null = null;
  providerTransactionId: string | null = null;

  constructor(fields: NewPayout) {
    Object.assign(this, fields);
    this.orderClaim = fields.orderId;
  }
}

export const PayoutSchema = new EntitySchema<Payout>({
  class: Payout,
  tableName: 'payouts',
  properties: {
    id: { ...id(), primary: true, length: 36 },
    sellerId: id(),
    buyerId: id(),
    orderId: id(),
    orderClaim: id(true),
    amountFen: fen(),
    reason: { type: 'string' },
    note: { type: 'string', nullable: true },
    status: { type: 'string' },
    initiatedBy: id(),
    chinaDay: { type: 'string', columnType: 'date' },
    createdAt: time(),
    expiresAt: time(true),
    approvalExpiresAt: time(true),
    approvedAt: time(true),
    confirmedAt: time(true),
    paidAt: time(true),
    closedAt: time(true),
    closeReason: { type: 'string', nullable: true },
    pendingCloseReason: { type: 'string', nullable: true },
    providerTransactionId: { type: 'string', nullable: true },
  },
});

export const PAYOUT_EVENT_TYPES = [
  'INITIATED', 'NOTIFIED', 'REMINDED', 'CONFIRMED', 'DECLINED', 'CANCELLED', 'EXPIRED', 'PAID', 'FAILED', 'APPROVED', 'REJECTED',
] as const;
export type PayoutEventType = (typeof PAYOUT_EVENT_TYPES)[number];

export class PayoutEvent {
  id?: number;
  constructor(
    readonly payoutId: string,
    readonly type: PayoutEventType,
    readonly actor: string | null,
    readonly at: Date,
  ) {}
}

export const PayoutEventSchema = new EntitySchema<PayoutEvent>({
  class: PayoutEvent,
  tableName: 'payout_events',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    payoutId: id(),
    type: { type: 'string' },
    actor: { type: 'string', nullable: true },
    at: time(),
  },
});

export type MovementKind = 'RECHARGE' | 'HOLD' | 'RELEASE' | 'PAYOUT' | 'WITHDRAWAL' | 'WITHDRAWAL_VOID';

export interface NewLedgerEntry {
  movementKey: string;
  sellerId: string;
  kind: MovementKind;
  debitAccount: string;
  creditAccount: string;
  amountFen: Fen;
  availableAfterFen: Fen;
  heldAfterFen: Fen;
  payoutId: string | null;
  memo: string;
  createdAt: Date;
}

export class LedgerEntry {
  id?: number;
  movementKey!: string;
  sellerId!: string;
  kind!: MovementKind;
  debitAccount!: string;
  creditAccount!: string;
  amountFen!: Fen;
  availableAfterFen!: Fen;
  heldAfterFen!: Fen;
  payoutId!: string | null;
  memo!: string;
  createdAt!: Date;

  constructor(fields: NewLedgerEntry) {
    Object.assign(this, fields);
  }
}

export const LedgerEntrySchema = new EntitySchema<LedgerEntry>({
  class: LedgerEntry,
  tableName: 'ledger_entries',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    movementKey: { type: 'string' },
    sellerId: id(),
    kind: { type: 'string' },
    debitAccount: { type: 'string' },
    creditAccount: { type: 'string' },
    amountFen: fen(),
    availableAfterFen: fen(),
    heldAfterFen: fen(),
    payoutId: id(true),
    memo: { type: 'string' },
    createdAt: time(),
  },
});

export class DailyUsage {
  count = 0;
  amountFen: Fen = 0;
  constructor(
    readonly sellerId: string,
    readonly chinaDay: string,
  ) {}
}

export const DailyUsageSchema = new EntitySchema<DailyUsage>({
  class: DailyUsage,
  tableName: 'daily_usage',
  properties: {
    sellerId: { ...id(), primary: true },
    chinaDay: { type: 'string', columnType: 'date', primary: true },
    count: { type: 'integer' },
    amountFen: fen(),
  },
});

export type NotificationKind = 'PAYOUT_SENT' | 'PAYOUT_REMINDER' | 'PAYOUT_OUTCOME' | 'LOW_BALANCE' | 'RECONCILIATION_MISMATCH' | 'APPROVAL_REQUESTED'
  | 'AUTO_TOP_UP_DONE' | 'AUTO_TOP_UP_DAILY_MAX_REACHED' | 'AUTO_TOP_UP_REFUSED';
/** Buyers and sellers get payout cards; finance auditors get reconciliation cards. */
export type RecipientRole = 'buyer' | 'seller' | 'auditor';

export class Notification {
  id?: number;
  deliveredAt: Date | null = null;
  /** When the recipient (or, for a seller, one of its sub-accounts) marked the card read. */
  readAt: Date | null = null;
  /** Set when the delivery's retries ended without the webhook taking the card. */
  undeliverableAt: Date | null = null;
  constructor(
    readonly dedupeKey: string,
    readonly recipientId: string,
    readonly recipientRole: RecipientRole,
    readonly kind: NotificationKind,
    readonly payoutId: string | null,
    readonly payload: Record<string, unknown>,
    readonly createdAt: Date,
  ) {}
}

export const NotificationSchema = new EntitySchema<Notification>({
  class: Notification,
  tableName: 'notifications',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    dedupeKey: { type: 'string' },
    recipientId: id(),
    recipientRole: { type: 'string' },
    kind: { type: 'string' },
    payoutId: id(true),
    payload: { type: 'json' },
    createdAt: time(),
    deliveredAt: time(true),
    readAt: time(true),
    undeliverableAt: time(true),
  },
});

export class IdempotencyRecord {
  statusCode: number | null = null;
  responseBody: unknown = null;
  constructor(
    readonly principal: string,
    readonly operation: string,
    readonly idemKey: string,
    readonly requestHash: string,
    readonly createdAt: Date,
  ) {}
}

export const IdempotencyRecordSchema = new EntitySchema<IdempotencyRecord>({
  class: IdempotencyRecord,
  tableName: 'idempotency_keys',
  properties: {
    principal: { type: 'string', primary: true },
    operation: { type: 'string', primary: true },
    idemKey: { type: 'string', primary: true },
    requestHash: { type: 'string' },
    statusCode: { type: 'integer', nullable: true },
    responseBody: { type: 'json', nullable: true },
    createdAt: time(),
  },
});

export class Setting {
  constructor(
    readonly name: string,
    public value: unknown,
    public updatedAt: Date,
  ) {}
}

export const SettingSchema = new EntitySchema<Setting>({
  class: Setting,
  tableName: 'settings',
  properties: {
    name: { type: 'string', primary: true },
    value: { type: 'json' },
    updatedAt: time(),
  },
});

export class SandboxAgreement {
  constructor(
    readonly agreementId: string,
    readonly sellerId: string,
    readonly signedAt: Date,
  ) {}
}

export const SandboxAgreementSchema = new EntitySchema<SandboxAgreement>({
  class: SandboxAgreement,
  tableName: 'sandbox_agreements',
  properties: {
    agreementId: { type: 'string', primary: true },
    sellerId: id(),
    signedAt: time(),
  },
});

export type SandboxKind = 'WITHHOLD' | 'TRANSFER' | 'PAYBACK';

export class SandboxTransaction {
  id?: number;
  /** The provider's own id of the transaction, as a statement shows it. */
  transactionId: string | null = null;
  /** The text on the payee's bill (`小额打款` on a payout's transfer). */
  memo: string | null = null;
  constructor(
    readonly idempotencyKey: string,
    readonly kind: SandboxKind,
    readonly sellerId: string,
    readonly counterpartyId: string | null,
    readonly amountFen: Fen,
    readonly status: 'SUCCEEDED' | 'REFUSED',
    readonly refusalCode: string | null,
    readonly createdAt: Date,
  ) {}
}

export const SandboxTransactionSchema = new EntitySchema<SandboxTransaction>({
  class: SandboxTransaction,
  tableName: 'sandbox_transactions',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    idempotencyKey: { type: 'string' },
    kind: { type: 'string' },
    sellerId: id(),
    counterpartyId: id(true),
    amountFen: fen(),
    status: { type: 'string' },
    refusalCode: { type: 'string', nullable: true },
    createdAt: time(),
    transactionId: { type: 'string', nullable: true },
    memo: { type: 'string', nullable: true },
  },
});

/** One disagreement a reconciliation found (db/ledger/invariants.ts). */
export interface ReconciliationFinding {
  check: string;
  sellerId: string;
  movementKey: string | null;
  message: string;
}

/** The result of one reconciliation run; `findings` holds the first of them, `findingsCount` all. */
export class ReconciliationReport {
  constructor(
    readonly id: string,
    readonly workflowId: string,
    readonly createdAt: Date,
    readonly settledBefore: Date,
    /** The sellers checked when the run was scoped; null for every seller. */
    readonly sellerIds: string[] | null,
    readonly sellersChecked: number,
    readonly findingsCount: number,
    readonly findings: ReconciliationFinding[],
    /** False when the run's batch bound stopped it before the last seller. */
    readonly complete: boolean,
  ) {}
}

export const ReconciliationReportSchema = new EntitySchema<ReconciliationReport>({
  class: ReconciliationReport,
  tableName: 'reconciliation_reports',
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    workflowId: { type: 'string' },
    createdAt: time(),
    settledBefore: time(),
    sellerIds: { type: 'json', nullable: true },
    sellersChecked: { type: 'integer' },
    findingsCount: { type: 'integer' },
    findings: { type: 'json' },
    complete: { type: 'boolean' },
  },
});

export const ALL_ENTITIES = [
  SellerAccountSchema, SubAccountSchema, OrderSchema, PayoutSchema, PayoutEventSchema, LedgerEntrySchema,
  DailyUsageSchema, NotificationSchema, IdempotencyRecordSchema, SettingSchema, SandboxAgreementSchema,
  SandboxTransactionSchema, ReconciliationReportSchema,
];
