/** SPEC §7, finance auditing: a payout's workflow history, and the reconciliation reports. */
import type { ReconciliationReport } from '../../db/audit/entities';
import { mapPage } from '../../db/pagination';
import { reportsPage } from '../../db/audit/reconciliation';
import { payoutWorkflowId } from '../payout-gateway';
import { workflowHistory } from '../payout-history';
import { principalOf, type Handler, type Schemas } from '../types';
import { visiblePayout } from './scope';

/**
 * The seller of the payout or an auditor; anyone else's payout is 404 (visiblePayout). From
 * Temporal while it keeps the history, from the archive afterwards.
 */
export const getPayoutHistory: Handler<'getPayoutHistory'> = async (call) => {
  const payout = await visiblePayout(call.em, principalOf(call), call.params.id);
  const history = await workflowHistory(call.deps.temporal, call.em, payoutWorkflowId(payout.id));
  return { status: 200, body: { payoutId: payout.id, ...history } };
};

function toReport(report: ReconciliationReport): Schemas['ReconciliationReport'] {
  return {
    id: report.id,
    workflowId: report.workflowId,
    createdAt: report.createdAt.toISOString(),
    settledBefore: report.settledBefore.toISOString(),
    sellerIds: report.sellerIds,
    sellersChecked: report.sellersChecked,
    complete: report.complete,
    ok: report.complete && report.findingsCount === 0,
    findingsCount: report.findingsCount,
    findings: report.findings as Schemas['ReconciliationFinding'][],
  };
}

export const listReconciliations: Handler<'listReconciliations'> = async (call) => {
  const page = await reportsPage(call.em, call.query);
  return { status: 200, body: mapPage(page, toReport) };
};
