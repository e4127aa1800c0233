/**
 * SPEC §7 and §8, the auditor's own views: a seller's hash chain recomputed, the settings change
 * log, any seller's account, and a reconciliation started now (the auditors' cards are with the
 * other cards, in notifications.ts).
 */
import { randomUUID } from 'node:crypto';
import { verifyChain } from '../../db/audit/archive';
import { accountView } from '../../db/reserve/accounts';
import { SellerAccount } from '../../db/reserve/entities';
import { mapPage } from '../../db/pagination';
import { settingsChangesPage } from '../../db/audit/settings-changes';
import { DomainError } from '../../domain/errors';
import { asId } from '../../domain/id';
import { isTransientGrpcError } from '../../temporal/grpc-status';
import { reconciliationWorkflow } from '../../workflows/reconciliation';
import { principalOf, type Handler } from '../types';
import { sellerOf } from './scope';

/** How long starting a reconciliation waits for Temporal before answering 503. */
const START_DEADLINE_MS = 10_000;

export const getAuditChain: Handler<'getAuditChain'> = async (call) => {
  if (!call.query.sellerId) throw new DomainError('VALIDATION_ERROR', 'name the seller whose chain to recompute with sellerId', { field: 'query.sellerId' });
  const { sellerId, records, valid, firstBrokenRecord, complete } = await verifyChain(call.em, call.query.sellerId);
  return { status: 200, body: { sellerId, records, valid, firstBrokenRecord, complete } };
};

/** A seller reads its own log whatever `sellerId` says; an auditor reads whom it names, or everyone. */
export const listSettingsChanges: Handler<'listSettingsChanges'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = principal.role === 'auditor' ? call.query.sellerId : sellerOf(principal);
  const page = await settingsChangesPage(call.em, { sellerId, setting: call.query.setting }, call.query);
  return {
    status: 200,
    body: mapPage(page, (c) => ({
      id: c.id!, sellerId: c.sellerId, setting: c.setting, actor: { id: c.actorId, role: c.actorRole },
      changedAt: c.changedAt.toISOString(), before: c.before, after: c.after,
    })),
  };
};

export const getAuditAccount: Handler<'getAuditAccount'> = async (call) => {
  const sellerId = asId(call.params.sellerId);
  if (!(await call.em.findOne(SellerAccount, { sellerId }))) throw new DomainError('NOT_FOUND', `seller ${sellerId} has no payout account`);
  return { status: 200, body: await accountView(call.em, sellerId, call.deps.clock.now()) };
};

/** Starts the reconciliation workflow the daily schedule runs; its run id is its report's id. */
export const startReconciliation: Handler<'startReconciliation'> = async (call) => {
  const { temporal, config } = call.deps;
  const workflowId = `ledger-reconciliation-manual-${randomUUID()}`;
  try {
    const handle = await temporal.withDeadline(Date.now() + START_DEADLINE_MS, () => temporal.workflow.start(reconciliationWorkflow, {
      workflowId,
      taskQueue: config.taskQueue,
      args: [{ sellerIds: call.body.sellerIds ?? undefined }],
      workflowExecutionTimeout: '23h',
    }));
    return { status: 202, body: { id: handle.firstExecutionRunId, workflowId } };
  } catch (err) {
    if (isTransientGrpcError(err)) throw new DomainError('SERVICE_UNAVAILABLE', 'the workflow service did not answer in time; retry');
    throw err;
  }
};
