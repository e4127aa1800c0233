/**
 * The daily ledger reconciliation (SPEC §7): checks the ledger's invariants and the provider's
 * books against it, stores a report, and sends the finance auditors a card when anything
 * disagrees. Run by a Temporal Schedule (worker/reconciliation-schedule.ts); finance or a test
 * may also start it by hand, scoped to some sellers.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReconcileResult, ReconciliationActivities } from '../activities/reconciliation-activities';

export interface ReconciliationInput {
  /** Check only these sellers (at most RECONCILIATION_SCOPE_MAX); every seller when absent. */
  sellerIds?: string[];
  /** Movements younger than this are in flight and left for the next run; 10 minutes by default. */
  settleGraceMs?: number;
}

/** Long enough for a transfer's retries to post it under normal operation. */
export const SETTLE_GRACE_MS = 10 * 60 * 1000;
/** Mirrors RECONCILIATION_SCOPE_MAX in db/audit/reconciliation.ts (workflow code may not import the db module). */
const SCOPE_SELLERS_MAX = 1_000;

/** The check reads the whole ledger in batches and heartbeats after each, so a stuck run is noticed in minutes. */
const ledger = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
});

/** The card is stored on the first attempt; its delivery is retried for most of a day, before the next run. */
const cards = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '20h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
});

export async function reconciliationWorkflow(input: ReconciliationInput = {}): Promise<ReconcileResult> {
  const sellerIds = input.sellerIds ?? null;
  if (sellerIds && (sellerIds.length === 0 || sellerIds.length > SCOPE_SELLERS_MAX)) {
    throw ApplicationFailure.nonRetryable(`a scoped reconciliation names 1 to ${SCOPE_SELLERS_MAX} sellers`, 'VALIDATION_ERROR');
  }
  const grace = Math.max(0, input.settleGraceMs ?? SETTLE_GRACE_MS);
  const { workflowId, runId } = workflowInfo();
  // Workflow time is deterministic: a replay computes the same cut-off.
  const result = await ledger.reconcileLedger({ reportId: runId, workflowId, sellerIds, settledBeforeMs: Date.now() - grace });
  if (!result.ok) await cards.notifyReconciliationMismatch(result.reportId);
  return result;
}
