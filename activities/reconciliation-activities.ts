/**
 * The reconciliation workflow's activities, built like the payout ones from their dependencies.
 * Both are safe to run twice: the report is stored under the run's id, and the card under a
 * dedupe key derived from it. Neither moves money: the check only reads the ledger and the
 * provider's statement, through the provider port, and writes its report.
 */
import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/mysql';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReconciliationReport } from '../db/audit/entities';
import type { ProviderBooks } from '../db/audit/provider-books';
import { reconcileLedger, storeReport } from '../db/audit/reconciliation';
import type { Clock } from '../domain/time';
import type { Notifier } from '../notify/notifier';
import { ProviderUnavailableError, type PaymentProvider } from '../provider/provider';

export interface ReconciliationActivityDeps {
  orm: MikroORM;
  /** Its statement is the provider's side of the comparison. */
  provider: PaymentProvider;
  notifier: Notifier;
  clock: Clock;
}

export interface ReconcileRequest {
  /** The report's id: the workflow run's id, stable across activity retries. */
  reportId: string;
  workflowId: string;
  sellerIds: string[] | null;
  settledBeforeMs: number;
}

export interface ReconcileResult {
  reportId: string;
  sellersChecked: number;
  findingsCount: number;
  ok: boolean;
}

/** Finance auditors read reconciliation cards in this shared inbox. */
export const FINANCE_RECIPIENT = 'finance';
/** A card names at most this many affected sellers; the report holds the rest. */
const CARD_SELLERS_MAX = 20;

const resultOf = (report: ReconciliationReport): ReconcileResult => ({
  reportId: report.id,
  sellersChecked: report.sellersChecked,
  findingsCount: report.findingsCount,
  ok: report.complete && report.findingsCount === 0,
});

/**
 * A statement page the provider could not give now is asked for again, by the same cursor, this
 * many times in all, after pauses that double from STATEMENT_RETRY_FIRST_MS; then the activity fails
 * and Temporal retries it. A run reads thousands of pages: one transient failure must not restart it.
 */
const STATEMENT_ATTEMPTS_MAX = 5;
const STATEMENT_RETRY_FIRST_MS = 200;

/** The provider's books as reconciliation reads them: the port's statement, its pages retried. */
export function providerBooks(provider: PaymentProvider): ProviderBooks {
  return {
    async statement(query) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await provider.statement(query);
        } catch (err) {
          if (!(err instanceof ProviderUnavailableError) || attempt >= STATEMENT_ATTEMPTS_MAX) throw err;
          await sleep(STATEMENT_RETRY_FIRST_MS * 2 ** (attempt - 1));
        }
      }
    },
  };
}

/** Heartbeats between batches when running as an activity; a no-op when called directly. */
function heartbeat(checked: number): void {
  try {
    Context.current().heartbeat(checked);
  } catch {
    // Not in an activity context (a direct call from a script or test): nothing to report to.
  }
}

export function createReconciliationActivities({ orm, provider, notifier, clock }: ReconciliationActivityDeps) {
  const books = providerBooks(provider);
  return {
    /** Checks the ledger and the provider's books and stores the report; a retry after the report was stored returns it. */
    async reconcileLedger(request: ReconcileRequest): Promise<ReconcileResult> {
      const em = orm.em.fork();
      const stored = await em.findOne(ReconciliationReport, { id: request.reportId });
      if (stored) return resultOf(stored);
      const settledBefore = new Date(request.settledBeforeMs);
      const outcome = await reconcileLedger(em.fork(), books, { sellerIds: request.sellerIds, settledBefore }, heartbeat);
      return resultOf(await storeReport(em.fork(), {
        id: request.reportId, workflowId: request.workflowId, createdAt: clock.now(), settledBefore, sellerIds: request.sellerIds,
        sellersChecked: outcome.sellersChecked, findingsCount: outcome.findingsCount, findings: outcome.findings, complete: outcome.complete,
      }));
    },

    /** A card for the finance auditors: what disagreed, for whom, and where the report is. */
    async notifyReconciliationMismatch(reportId: string): Promise<void> {
      const report = await orm.em.fork().findOneOrFail(ReconciliationReport, { id: reportId });
      const byCheck: Record<string, number> = {};
      for (const finding of report.findings) byCheck[finding.check] = (byCheck[finding.check] ?? 0) + 1;
      const sellers = [...new Set(report.findings.map((f) => f.sellerId))].slice(0, CARD_SELLERS_MAX);
      await notifier.send([{
        dedupeKey: `reconciliation:${report.id}`,
        recipientId: FINANCE_RECIPIENT,
        recipientRole: 'auditor',
        kind: 'RECONCILIATION_MISMATCH',
        payoutId: null,
        payload: {
          reportId: report.id,
          workflowId: report.workflowId,
          findingsCount: report.findingsCount,
          complete: report.complete,
          byCheck,
          sellerIds: sellers,
          reportLink: '/v1/reconciliations',
        },
      }]);
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
