/**
 * The payout workflow's decision state: who decided what, and which decisions it still takes.
 *
 * SPEC §5 "who may decide what": confirm and decline only while the payout awaits its buyer;
 * cancel while it awaits its buyer or its approval; approve and reject only while it awaits
 * approval. Of the decisions the workflow records, the first wins: a validator refuses an update
 * once a verdict is taken, and a signal that comes later changes nothing. Each decision id is
 * applied at most once: an update its caller abandoned may still arrive after its fallback signal
 * (same id), and then answers with what that decision did instead of deciding again.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { buyerMaySee, type ApprovalDecision, type Decision, type PayoutProgress, type PayoutStatus, type PayoutView } from '../../domain/payout';
import {
  approveUpdate, cancelUpdate, confirmUpdate, decisionSignal, declineUpdate, orderChangedSignal, progressQuery, rejectUpdate, reserveUpdate,
  type DecisionInput,
  type DecisionParty,
  type ReserveInput,
} from './messages';

export type Verdict =
  | { kind: Decision | ApprovalDecision; actor: string; atMs: number; decisionId?: string; from: PayoutStatus }
  | { kind: 'expire' | 'orderChanged'; atMs: number };

export interface DecisionState {
  view: PayoutView | undefined;
  refusedCode: string | undefined;
  /** The decision, deadline or order change that ends the current wait (approval, then the buyer's). */
  verdict: Verdict | undefined;
  /**
   * What arrived while an approval was being recorded and still applies once the payout awaits its
   * buyer (a cancel, an order change): it becomes the verdict of the buyer's wait.
   */
  carried: Verdict | undefined;
  reminded: boolean;
}

type AnyDecision = Decision | ApprovalDecision;

/** The states in which each decision may be taken (SPEC §5's table); anything else is 409. */
const OPEN_IN: Record<AnyDecision, readonly PayoutStatus[]> = {
  confirm: ['AWAITING_CONFIRMATION'],
  decline: ['AWAITING_CONFIRMATION'],
  cancel: ['PENDING_APPROVAL', 'AWAITING_CONFIRMATION'],
  approve: ['PENDING_APPROVAL'],
  reject: ['PENDING_APPROVAL'],
};

const REFUSAL: Record<AnyDecision, string> = {
  confirm: 'PAYOUT_NOT_AWAITING_CONFIRMATION',
  decline: 'PAYOUT_NOT_AWAITING_CONFIRMATION',
  cancel: 'PAYOUT_NOT_AWAITING_CONFIRMATION',
  approve: 'PAYOUT_NOT_PENDING_APPROVAL',
  reject: 'PAYOUT_NOT_PENDING_APPROVAL',
};

/** Whether a verdict of `kind` may stand in a payout that is `status`. */
export function openIn(kind: Verdict['kind'], status: PayoutStatus): boolean {
  return kind === 'expire' || kind === 'orderChanged' || OPEN_IN[kind].includes(status);
}

/**
 * Takes the reserved payout into the state. A decision signal that arrived before the reservation
 * was seen stays only if it may be taken in the state the payout started in.
 */
export function adoptReservation(state: DecisionState, view: PayoutView): void {
  state.view = view;
  const early = state.verdict;
  if (!early || !('from' in early)) return;
  if (openIn(early.kind, view.status)) early.from = view.status;
  else state.verdict = undefined;
}

/** The deadline of the wait the payout is in (its approval's, or its buyer's); none before the reservation is seen. */
function deadlineOf(view: PayoutView | undefined): number {
  const deadline = view?.status === 'PENDING_APPROVAL' ? view.approvalExpiresAt : view?.status === 'AWAITING_CONFIRMATION' ? view.expiresAt : null;
  return deadline ? Date.parse(deadline) : Infinity;
}

/** Installs the handlers of the reservation, the decisions, the order change and the progress query. */
export function trackDecisions(payoutId: string, reservation: Promise<PayoutView>, requestHash?: string): DecisionState {
  const state: DecisionState = { view: undefined, refusedCode: undefined, verdict: undefined, carried: undefined, reminded: false };
  const status = (): PayoutProgress['status'] => (state.refusedCode ? 'REFUSED' : state.view?.status ?? 'RESERVING');
  const open = (kind: AnyDecision) => state.verdict === undefined && state.view !== undefined && OPEN_IN[kind].includes(state.view.status);
  /** Each decision id the workflow received, and the verdict it made (undefined: it came too late to make one). */
  const applied = new Map<string, Verdict | undefined>();
  const madeBy = (decisionId: string | undefined) => (decisionId === undefined ? undefined : applied.get(decisionId));

  // The update only observes the reservation. A validator leaves nothing in history, and an
  // accepted update is replayed without it: adding it changed no run's commands.
  setHandler(reserveUpdate, () => reservation, {
    validator: (asked: ReserveInput | undefined) => {
      if (requestHash !== undefined && asked?.requestHash !== undefined && asked.requestHash !== requestHash) {
        throw ApplicationFailure.create({ type: 'IDEMPOTENCY_KEY_REUSED', message: 'this Idempotency-Key was used with another request body', nonRetryable: true });
      }
    },
  });
  setHandler(progressQuery, () => ({
    payoutId,
    status: status(),
    expiresAt: state.view?.expiresAt ?? null,
    reminded: state.reminded,
    decision: state.verdict && 'actor' in state.verdict ? state.verdict.kind : null,
  }));
  // A decision the workflow already recorded keeps its place: a confirmation or an approval not yet
  // recorded in the database still loses to the order change there (both re-check the order).
  setHandler(orderChangedSignal, () => {
    const changed: Verdict = { kind: 'orderChanged', atMs: Date.now() };
    if (state.verdict?.kind === 'approve') state.carried ??= changed;
    else state.verdict ??= changed;
  });

  // Of the decisions in history the first wins: a later one finds the verdict taken and changes nothing.
  setHandler(decisionSignal, ({ decision, actor, decisionId, handedAtMs }) => {
    if (applied.has(decisionId)) return;
    applied.set(decisionId, undefined);
    // Handed to Temporal after the deadline of the wait it would end: too late, whenever it is read.
    if (handedAtMs !== undefined && handedAtMs >= deadlineOf(state.view)) return;
    const from = state.view?.status ?? 'AWAITING_CONFIRMATION';
    const verdict: Verdict = { kind: decision, actor, atMs: Date.now(), decisionId, from };
    if (state.verdict === undefined && !state.refusedCode && (state.view === undefined || OPEN_IN[decision].includes(state.view.status))) {
      state.verdict = verdict;
      applied.set(decisionId, verdict);
    } else if (state.verdict?.kind === 'approve' && state.carried === undefined && OPEN_IN[decision].includes('AWAITING_CONFIRMATION')) {
      state.carried = { ...verdict, from: 'AWAITING_CONFIRMATION' };
      applied.set(decisionId, state.carried);
    }
  });

  const decide = (kind: AnyDecision) => async ({ actor, decisionId }: DecisionInput): Promise<PayoutView> => {
    let verdict = madeBy(decisionId);
    if (!verdict) {
      verdict = { kind, actor, atMs: Date.now(), decisionId, from: state.view!.status };
      state.verdict = verdict;
      if (decisionId !== undefined) applied.set(decisionId, verdict);
    }
    const from = (verdict as { from: PayoutStatus }).from;
    await condition(() => state.view?.status !== from);
    return state.view!;
  };
  /** Whether the API's caller is the payout's party (`canSee` in api/handlers/scope.ts): not before the payout exists. */
  const isParty = (party: DecisionParty) => state.view !== undefined && ('buyerId' in party ? party.buyerId === state.view.buyerId : party.sellerId === state.view.sellerId);
  const validator = (kind: AnyDecision) => ({ decisionId, party }: DecisionInput) => {
    // The same decision again (its signal came first): it answers with what it did.
    if (madeBy(decisionId)?.kind === kind) return;
    if (party && !isParty(party)) throw ApplicationFailure.nonRetryable(`payout ${payoutId} not found`, 'NOT_FOUND', {});
    if (!open(kind) || (decisionId !== undefined && applied.has(decisionId))) {
      // SPEC §5's table answers the buyer 409 before an approval too, naming no state: the buyer does not see the payout yet.
      if (party && 'buyerId' in party && !buyerMaySee(state.view!)) {
        throw ApplicationFailure.nonRetryable(`payout ${payoutId} is not awaiting confirmation`, REFUSAL[kind], {});
      }
      throw ApplicationFailure.nonRetryable(`payout ${payoutId} is ${status()}`, REFUSAL[kind], { status: status() });
    }
  };
  for (const [update, kind] of [[confirmUpdate, 'confirm'], [declineUpdate, 'decline'], [cancelUpdate, 'cancel'], [approveUpdate, 'approve'], [rejectUpdate, 'reject']] as const) {
    setHandler(update, decide(kind), { validator: validator(kind) });
  }
  return state;
}
