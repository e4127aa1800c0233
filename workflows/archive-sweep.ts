/**
 * The archive sweep (SPEC §7): archives the histories of the seller workflows that closed since the
 * last sweep. Run by a Temporal Schedule (worker/archive-schedule.ts) every few minutes; a test or
 * an operator may also start it by hand, scoped to some sellers.
 *
 * Why a sweep rather than an archiving step at the end of each workflow: a workflow cannot read its
 * own close event, and a step added to each workflow type would be forgotten by the next one. The
 * sweep reads histories after they closed, covers every workflow that carries `SellerId`, and is
 * idempotent, so a sweep that fails or overlaps another loses nothing: the next one finds the same
 * runs and archives those still missing, as long as Temporal keeps them (the namespace's retention).
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ArchiveActivities, SweepResult, SweepScope } from '../activities/archive-activities';

/** One sweep reads up to a few thousand histories and heartbeats as it goes; a stuck one is noticed in minutes. */
const archive = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
});

/** Every seller's workflows closed since the last sweep; or, scoped, some sellers' whatever the watermark. */
export async function archiveSweepWorkflow(scope: SweepScope = {}): Promise<SweepResult> {
  return archive.archiveClosedWorkflows(scope);
}
