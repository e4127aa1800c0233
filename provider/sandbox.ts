/**
 * The sandbox payment provider: keeps its own books in the database (`sandbox_*` tables), so that
 * reconciliation compares two independent records, and injects faults on demand (errors, latency,
 * timeouts after the money moved) from the `sandbox.faults` setting.
 *
 * Deterministic refusals, for demos and tests:
 * - an agreement auth code that starts with `DENY` is refused (`AUTH_CODE_REFUSED`);
 * - a transfer to a buyer listed in `refuseBuyerIds` is refused for good (`ACCOUNT_FROZEN`);
 * - a withholding from a seller listed in `refuseWithholdSellerIds` is refused for good
 *   (`INSUFFICIENT_FUNDS`: the seller's payment account cannot cover it);
 * - a pay-back to a seller listed in `refusePayBackSellerIds` is refused for good
 *   (`ACCOUNT_FROZEN`: the seller's payment account takes no money in).
 */
import type { MikroORM } from '@mikro-orm/mysql';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/time';
import type { Fen } from '../domain/money';
import { SandboxAgreement, SandboxTransaction, type SandboxKind } from '../db/sandbox/entities';
import { Setting } from '../db/common/entities';
import { insertOnce } from '../db/insert-once';
import { sandboxStatement } from '../db/sandbox/statement';
import type { StatementPage, StatementQuery } from '../domain/provider-statement';
import { ProviderUnavailableError, type PaymentProvider, type ProviderOutcome, type ProviderTransaction } from './provider';

export interface SandboxFaults {
  /** Share of calls (0..1) that fail before doing anything. */
  failRate: number;
  /** Added to every call. */
  latencyMs: number;
  /** Share of transfers (0..1) that move the money and then time out. */
  timeoutAfterMoveRate: number;
  /** Buyers whose transfers are refused for good. */
  refuseBuyerIds: string[];
  /** Sellers whose withholdings (recharges, top-ups) are refused for good. */
  refuseWithholdSellerIds: string[];
  /** Sellers whose pay-backs (withdrawals) are refused for good. */
  refusePayBackSellerIds: string[];
}

export const NO_FAULTS: SandboxFaults = Object.freeze({
  failRate: 0, latencyMs: 0, timeoutAfterMoveRate: 0, refuseBuyerIds: [], refuseWithholdSellerIds: [], refusePayBackSellerIds: [],
});
export const SANDBOX_FAULTS_SETTING = 'sandbox.faults';

/** The fault settings are read at most this often, so a call costs no extra query. */
const FAULTS_TTL_MS = 1_000;

/**
 * Bumped by `setFaults` once the new faults are written: every sandbox of this process then drops
 * what it cached and reads them on its next call. Without it, a worker that read "no faults" just
 * before a test set some kept them for up to FAULTS_TTL_MS, and the test's call went through
 * unrefused. Another process still takes up to FAULTS_TTL_MS to see them.
 */
let faultsGeneration = 0;

export class SandboxProvider implements PaymentProvider {
  private faults: SandboxFaults = NO_FAULTS;
  private faultsReadAt = -Infinity;
  private faultsReadGeneration = -1;

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Sets the faults for every process that shares the database: at once in this process, within
   * FAULTS_TTL_MS in the others.
   */
  static async setFaults(orm: MikroORM, faults: Partial<SandboxFaults>, now = new Date()): Promise<void> {
    const value = { ...NO_FAULTS, ...faults };
    await orm.em.fork().upsert(Setting, { name: SANDBOX_FAULTS_SETTING, value, updatedAt: now });
    faultsGeneration++;
  }

  async signAgreement(sellerId: string, authCode: string) {
    await this.inject();
    if (authCode.startsWith('DENY')) return { status: 'REFUSED' as const, code: 'AUTH_CODE_REFUSED' };
    const em = this.orm.em.fork();
    const existing = await em.findOne(SandboxAgreement, { sellerId });
    if (existing) return { status: 'SIGNED' as const, agreementId: existing.agreementId };
    const agreement = { agreementId: `agr_${randomUUID()}`, sellerId, signedAt: this.clock.now() };
    await em.upsert(SandboxAgreement, agreement, { onConflictFields: ['sellerId'], onConflictAction: 'ignore' });
    const signed = await em.findOneOrFail(SandboxAgreement, { sellerId });
    return { status: 'SIGNED' as const, agreementId: signed.agreementId };
  }

  withhold(key: string, sellerId: string, amountFen: Fen, memo?: string) {
    return this.book(key, 'WITHHOLD', sellerId, null, amountFen, memo ?? null);
  }

  transfer(key: string, sellerId: string, buyerId: string, amountFen: Fen, memo: string) {
    return this.book(key, 'TRANSFER', sellerId, buyerId, amountFen, memo);
  }

  payBack(key: string, sellerId: string, amountFen: Fen) {
    return this.book(key, 'PAYBACK', sellerId, null, amountFen);
  }

  async findTransaction(key: string): Promise<ProviderTransaction | null> {
    await this.inject();
    const row = await this.orm.em.fork().findOne(SandboxTransaction, { idempotencyKey: key });
    return row ? { ...row, id: undefined } as ProviderTransaction : null;
  }

  /** Its books as a statement; faults apply as to any call (the reader retries a page by its cursor). */
  async statement(query: StatementQuery): Promise<StatementPage> {
    await this.inject();
    return sandboxStatement(this.orm.em.fork(), query);
  }

  /** Records the transaction once under its key; a repeated key returns the first outcome. */
  private async book(key: string, kind: SandboxKind, sellerId: string, counterpartyId: string | null, amountFen: Fen, memo: string | null = null): Promise<ProviderOutcome> {
    const faults = await this.inject();
    const em = this.orm.em.fork();
    const refusal = refusalOf(faults, kind, sellerId, counterpartyId);
    const row = {
      idempotencyKey: key, kind, sellerId, counterpartyId, amountFen, status: refusal ? 'REFUSED' as const : 'SUCCEEDED' as const,
      refusalCode: refusal, createdAt: this.clock.now(), transactionId: `sbx_${randomUUID()}`, memo,
    };
    const fresh = await insertOnce(em, SandboxTransaction, row, ['idempotencyKey']);
    // A key seen before answers with what was booked under it the first time.
    const booked = fresh ? row : await em.fork().findOneOrFail(SandboxTransaction, { idempotencyKey: key });
    if (booked.kind !== kind || booked.amountFen !== amountFen || booked.sellerId !== sellerId) {
      return { status: 'REFUSED', code: 'IDEMPOTENCY_KEY_MISMATCH' };
    }
    if (kind === 'TRANSFER' && this.random() < faults.timeoutAfterMoveRate) {
      throw new ProviderUnavailableError(`sandbox: ${kind} ${key} timed out after the money moved`);
    }
    if (booked.status !== 'SUCCEEDED') return { status: 'REFUSED', code: booked.refusalCode ?? 'REFUSED' };
    return { status: 'SUCCEEDED', ...(booked.transactionId ? { transactionId: booked.transactionId } : {}) };
  }

  /** Applies latency and random failures; returns the faults in force. */
  private async inject(): Promise<SandboxFaults> {
    const faults = await this.currentFaults();
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.failRate > 0 && this.random() < faults.failRate) throw new ProviderUnavailableError('sandbox: injected failure');
    return faults;
  }

  private async currentFaults(): Promise<SandboxFaults> {
    const now = Date.now();
    if (this.faultsReadGeneration === faultsGeneration && now - this.faultsReadAt < FAULTS_TTL_MS) return this.faults;
    // Taken before the read: a setFaults that lands while it runs leaves the cache stale, read again next call.
    const generation = faultsGeneration;
    const setting = await this.orm.em.fork().findOne(Setting, { name: SANDBOX_FAULTS_SETTING });
    this.faults = setting ? { ...NO_FAULTS, ...(setting.value as Partial<SandboxFaults>) } : NO_FAULTS;
    this.faultsReadAt = now;
    this.faultsReadGeneration = generation;
    return this.faults;
  }
}

/** The refusal for good that the faults make of a call, if any. */
function refusalOf(faults: SandboxFaults, kind: SandboxKind, sellerId: string, counterpartyId: string | null): string | null {
  if (kind === 'TRANSFER' && counterpartyId !== null && faults.refuseBuyerIds.includes(counterpartyId)) return 'ACCOUNT_FROZEN';
  if (kind === 'WITHHOLD' && (faults.refuseWithholdSellerIds ?? []).includes(sellerId)) return 'INSUFFICIENT_FUNDS';
  if (kind === 'PAYBACK' && (faults.refusePayBackSellerIds ?? []).includes(sellerId)) return 'ACCOUNT_FROZEN';
  return null;
}
