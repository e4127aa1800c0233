/** SPEC §5, §7: starting a payout, the decisions, and the records. */
import type { EntityManager } from '@mikro-orm/mysql';
import type { IdempotencyKeyOf } from '../../db/common/entities';
import { Payout } from '../../db/payouts/entities';
import { mapPage } from '../../db/pagination';
import { listPayouts as queryPayouts, payoutWithTimeline } from '../../db/payouts/queries';
import { createdAnswerOf, toPayoutView } from '../../db/payouts/payouts';
import { DomainError } from '../../domain/errors';
import { PAYOUT_IDEMPOTENCY_OPERATION, buyerMaySee, type ApprovalDecision, type Decision, type PayoutView } from '../../domain/payout';
import { idFromKey, withIdempotency } from '../idempotency';
import { principalOf, type Call, type Handler, type Schemas } from '../types';
import { recordFilter } from './records';
import { canSeePayout, sellerOf, visiblePayout } from './scope';

/**
 * Starts the payout's workflow, which reserves (every SPEC §4 rule and the hold, in one
 * transaction) before this answers: 201 with the payout, or the refusal's code. The order is not
 * read here first: the reservation reads it under lock and answers another seller's order, or an
 * unknown one, 404 as this did (issue 18: a statement per create). A refused create's workflow
 * ends at once, as for any other rule.
 */
export const createPayout: Handler<'createPayout'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  const now = call.deps.clock.now();
  const payoutId = idFromKey(PAYOUT_IDEMPOTENCY_OPERATION, principal, call.idempotencyKey);
  // A replay is answered by the key's row (a refusal) or by the payout the key made (its 201).
  const storedAnswer = (em: EntityManager, key: IdempotencyKeyOf) => createdAnswerOf(em, key, payoutId);
  const scope = { principal, operation: PAYOUT_IDEMPOTENCY_OPERATION, key: call.idempotencyKey, body: call.body, now, log: call.log, storedAnswer };
  const outcome = await withIdempotency(call.em, scope, async (idempotency) => {
    const request = { payoutId, sellerId, orderId: call.body.orderId, amountFen: call.body.amount, reason: call.body.reason, note: call.body.note ?? null, initiatedBy: principal.id, idempotency };
    const view = await call.deps.gateway.start(request).catch((err) => reservedAnyway(call, payoutId, err));
    return { status: 201, body: view };
  });
  return outcome as { status: 201; body: Schemas['Payout'] };
};

/**
 * When Temporal could not answer (restarting, overloaded, the workflow already finished), the
 * reservation may still have been made: the database, not the lost answer, says whether it was.
 */
async function reservedAnyway(call: Call<'createPayout'>, payoutId: string, err: unknown): Promise<PayoutView> {
  if (err instanceof DomainError && err.code !== 'SERVICE_UNAVAILABLE') throw err;
  const reserved = await call.em.fork().findOne(Payout, { id: payoutId });
  if (reserved) return toPayoutView(reserved);
  throw err;
}

export const listPayouts: Handler<'listPayouts'> = async (call) => {
  const page = await queryPayouts(call.em, recordFilter(principalOf(call), call.query), call.query);
  return { status: 200, body: mapPage(page, toPayoutView) };
};

export const getPayout: Handler<'getPayout'> = async (call) => {
  const found = await payoutWithTimeline(call.em, call.params.id);
  if (!found || !canSeePayout(principalOf(call), found.payout)) throw new DomainError('NOT_FOUND', `payout ${call.params.id} not found`);
  const { payout, timeline } = found;
  return {
    status: 200,
    body: { ...toPayoutView(payout), timeline: timeline.map((e) => ({ type: e.type, at: e.at.toISOString(), actor: e.actor })) },
  };
};

/**
 * Delivers a decision to the payout's workflow after checking that the caller may make it: 200
 * with the payout as the workflow left it, or 202 when no worker answered in time and the
 * decision was recorded in the workflow's history for a worker to apply (SPEC §5).
 */
async function decide(call: Call<'confirmPayout' | 'declinePayout' | 'cancelPayout'>, decision: Decision): Promise<{ status: 200; body: PayoutView } | { status: 202; body: Schemas['DecisionAccepted'] }> {
  const principal = principalOf(call);
  // Issue 18: the payout is not read first. The workflow's validator refuses anyone but its party
  // as not found and a decision the payout is past as 409, as this read did; the record answers
  // only when no validator ran (refuseUnlessOpen).
  const party = principal.role === 'buyer' ? { buyerId: principal.id } : { sellerId: sellerOf(principal) };
  const check = (state: boolean) => refuseUnlessOpen(call, decision, state);
  const outcome = await call.deps.gateway.decide(call.params.id, decision, principal.id, { party, check });
  return outcome.accepted ? { status: 202, body: outcome.accepted } : { status: 200, body: outcome.payout };
}

/**
 * The payout's record refuses the decision: 404 to anyone but its parties and, with `state`, 409 in
 * every state but AWAITING_CONFIRMATION (and PENDING_APPROVAL for a cancel). SPEC §5's table answers
 * the payout's buyer 409 before an approval too; the 409 then names no state, since the buyer does
 * not see the payout yet.
 */
async function refuseUnlessOpen(call: Call<'confirmPayout' | 'declinePayout' | 'cancelPayout'>, decision: Decision, state: boolean): Promise<void> {
  const principal = principalOf(call);
  const payout: Payout = await visiblePayout(call.em, principal, call.params.id, { parties: true });
  if (!state) return;
  const open = payout.status === 'AWAITING_CONFIRMATION' || (decision === 'cancel' && payout.status === 'PENDING_APPROVAL');
  if (!open) {
    const shown = principal.role !== 'buyer' || buyerMaySee(payout);
    throw new DomainError('PAYOUT_NOT_AWAITING_CONFIRMATION', shown ? `payout ${payout.id} is ${payout.status}` : `payout ${payout.id} is not awaiting confirmation`, shown ? { status: payout.status } : {});
  }
}

export const confirmPayout: Handler<'confirmPayout'> = (call) => decide(call, 'confirm');
export const declinePayout: Handler<'declinePayout'> = (call) => decide(call, 'decline');
export const cancelPayout: Handler<'cancelPayout'> = (call) => decide(call, 'cancel');

/**
 * The main account's approval or rejection (SPEC §5 maker-checker): 200 with the payout as the
 * workflow left it (approved: `AWAITING_CONFIRMATION` with its deadline; rejected: `REJECTED`),
 * 409 `PAYOUT_NOT_PENDING_APPROVAL` in any other state, 503 when Temporal does not answer.
 */
async function decideApproval(call: Call<'approvePayout' | 'rejectPayout'>, decision: ApprovalDecision): Promise<{ status: 200; body: PayoutView }> {
  const principal = principalOf(call);
  const payout = await visiblePayout(call.em, principal, call.params.id);
  if (payout.status !== 'PENDING_APPROVAL') {
    throw new DomainError('PAYOUT_NOT_PENDING_APPROVAL', `payout ${payout.id} is ${payout.status}`, { status: payout.status });
  }
  return { status: 200, body: await call.deps.gateway.decideApproval(payout.id, decision, principal.id) };
}

export const approvePayout: Handler<'approvePayout'> = (call) => decideApproval(call, 'approve');
export const rejectPayout: Handler<'rejectPayout'> = (call) => decideApproval(call, 'reject');

export const listBuyerPayouts: Handler<'listBuyerPayouts'> = async (call) => {
  const principal = principalOf(call);
  const page = await queryPayouts(call.em, { buyerId: principal.id, status: call.query.status, buyerVisible: true }, call.query);
  return { status: 200, body: mapPage(page, toPayoutView) };
};
