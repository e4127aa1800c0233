/**
 * The reconciliation workflow's activities, built like the payout ones from their dependencies.
 * Both are safe to run twice: the report is stored under the run's id, and the card under a
 * dedupe key derived from it.
 */
import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/mysql';
import { ReconciliationReport } from '../db/audit/entities';
import { reconcileLedger, storeReport } from '../db/audit/reconciliation';
import type { Clock } from '../domain/time';
import type { Notifier } from '../notify/notifier';

export interface ReconciliationActivityDeps {
  orm: MikroORM;
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

/** Heartbeats between batches when running as an activity; a no-op when called directly. */
function heartbeat(checked: number): void {
  try {
    Context.current().heartbeat(checked);
  } catch {
    // Not in an activity context (a direct call from a script or test): nothing to report to.
  }
}

export function createReconciliationActivities({ orm, notifier, clock }: ReconciliationActivityDeps) {
  return {
    /** Checks the ledger and stores the report; a retry after the report was stored returns it. */
    async reconcileLedger(request: ReconcileRequest): Promise<ReconcileResult> {
      const em = orm.em.fork();
      const stored = await em.findOne(ReconciliationReport, { id: request.reportId });
      if (stored) return resultOf(stored);
      const settledBefore = new Date(request.settledBeforeMs);
      const outcome = await reconcileLedger(em.fork(), { sellerIds: request.sellerIds, settledBefore }, heartbeat);
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
