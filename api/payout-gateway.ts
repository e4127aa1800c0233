/**
 * The API's door to the payout workflows: starts one with update-with-start (the `reserve` update
 * answers at once with the payout or the refusal) and delivers decisions as updates. Temporal
 * failures that carry a SPEC code become DomainErrors; a Temporal that does not answer in time
 * becomes 503, never a hanging request.
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isErrorCode, type ErrorDetails } from '../domain/errors';
import type { ApprovalDecision, Decision, OrderCloseReason, PayoutRequest, PayoutView, PayoutWorkflowInput } from '../domain/payout';
import {
  approveUpdate, cancelUpdate, confirmUpdate, decisionSignal, declineUpdate, orderChangedSignal, payoutWorkflow, rejectUpdate, reserveUpdate,
  type DecisionInput,
  type DecisionParty,
  type ReserveInput,
} from '../workflows/payout';
import { randomUUID } from 'node:crypto';
import { isPastDeadline, isUnansweredInTime, isWorkflowNotFound } from '../temporal/grpc-status';
import { ORDER_ID_KEY, PAYOUT_STATUS_KEY, SELLER_ID_KEY } from '../workflows/search-attributes';

/** How long a request waits for the workflow to answer before the API says 503. */
const WORKFLOW_ANSWER_DEADLINE_MS = 15_000;

export const payoutWorkflowId = (payoutId: string) => `payout-${payoutId}`;

/** How long a decision waits for a worker to answer before it is handed to Temporal as a signal. */
export const DECISION_ANSWER_MS = 2_000;

/**
 * Who asks for a decision: their party, which the workflow's validator checks (since issue 18 the
 * API does not read the payout first), and the payout's record, which answers when no validator
 * did. `check(true)` when the workflow has ended (or never was): the record's 404 or 409.
 * `check(false)` when the workflow did not answer in time, before the decision is handed over as a
 * signal: the 404 alone, since this very decision may have been applied meanwhile (a 202 is then
 * right: the workflow applies a decision id once, and a decision that came too late never stands).
 */
export interface DecisionAsker {
  party: DecisionParty;
  check: (state: boolean) => Promise<void>;
}

/** A decision answered by the workflow, or accepted durably for a worker to apply later (200 or 202). */
export type DecisionOutcome =
  | { payout: PayoutView; accepted?: undefined }
  | { accepted: { payoutId: string; decision: Decision; receivedAt: string }; payout?: undefined };

/**
 * How a payout's workflow is started (bench/ceiling-api.ts starts the ceiling's with these options
 * too, under its own workflow id). A retried request with the same payout id joins the running workflow; a
 * finished one is never started again.
 */
export function payoutStartOptions(request: PayoutRequest, workflowId: string, taskQueue: string, confirmWindowMs: number) {
  return {
    workflowId,
    taskQueue,
    args: [{ ...request, confirmWindowMs }] as [PayoutWorkflowInput],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: SELLER_ID_KEY, value: request.sellerId },
      { key: ORDER_ID_KEY, value: request.orderId },
      { key: PAYOUT_STATUS_KEY, value: 'RESERVING' },
    ],
    memo: { sellerId: request.sellerId, orderId: request.orderId, amountFen: request.amountFen, initiatedBy: request.initiatedBy },
  };
}

const DECISION_UPDATES = { confirm: confirmUpdate, decline: declineUpdate, cancel: cancelUpdate } as const;
const APPROVAL_UPDATES = { approve: approveUpdate, reject: rejectUpdate } as const;

export class PayoutGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly confirmWindowMs: number,
  ) {}

  /** Starts the payout's workflow and returns the reservation: the payout, or the refusal as a DomainError. */
  async start(request: PayoutRequest): Promise<PayoutView> {
    const operation = new WithStartWorkflowOperation(
      payoutWorkflow,
      payoutStartOptions(request, payoutWorkflowId(request.payoutId), this.taskQueue, this.confirmWindowMs),
    );
    try {
      // The body's hash lets a workflow that an attempt with another body started refuse this one.
      const args: [ReserveInput] = [{ requestHash: request.idempotency?.requestHash }];
      return await this.answer(() => this.client.workflow.executeUpdateWithStart(reserveUpdate, { args, startWorkflowOperation: operation }));
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) await this.throwIfRefused(request.payoutId);
      throw err;
    }
  }

  /**
   * The payout's workflow already finished (a retry after a lost answer): if it refused the
   * reservation, say so with the refusal's code; otherwise the caller reads the payout it made.
   */
  private async throwIfRefused(payoutId: string): Promise<void> {
    const result = await this.answer(() => this.client.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(payoutId)).result());
    if (result.status === 'REFUSED' && isErrorCode(result.code)) {
      throw new DomainError(result.code, result.message, result.details as ErrorDetails);
    }
  }

  /**
   * Delivers a decision (SPEC §5 "Decisions are durable on arrival"): the payout as the workflow
   * left it when a worker answers within DECISION_ANSWER_MS; otherwise the same decision, under
   * the same id, as a signal that Temporal records in history before this returns `accepted`.
   * Temporal not answering the signal either is 503.
   */
  async decide(payoutId: string, decision: Decision, actor: string, asker: DecisionAsker): Promise<DecisionOutcome> {
    const handle = this.client.workflow.getHandle(payoutWorkflowId(payoutId));
    const decisionId = randomUUID();
    try {
      const args: [DecisionInput] = [{ actor, decisionId, party: asker.party }];
      const payout = await this.client.withDeadline(Date.now() + DECISION_ANSWER_MS, () => handle.executeUpdate(DECISION_UPDATES[decision], { args }));
      return { payout };
    } catch (err) {
      if (isWorkflowNotFound(err)) {
        // Ended, or never started: the record answers who asks (404) and its state (409).
        await asker.check(true);
        throw new DomainError('PAYOUT_NOT_AWAITING_CONFIRMATION', `payout ${payoutId} is no longer awaiting confirmation`);
      }
      const mapped = toDomainError(err);
      if (!(mapped instanceof DomainError && mapped.code === 'SERVICE_UNAVAILABLE')) throw mapped;
    }
    // No validator ran: the record says whether this is the payout's party before Temporal records the decision.
    await asker.check(false);
    const handedAtMs = Date.now();
    await this.answer(() => handle.signal(decisionSignal, { decision, actor, decisionId, handedAtMs }));
    // Once Temporal recorded it: the decision stands in history from (at the latest) this moment.
    return { accepted: { payoutId, decision, receivedAt: new Date().toISOString() } };
  }

  /**
   * The main account's approval or rejection (SPEC §5 maker-checker), answered like a payout's
   * creation: the payout as the workflow left it, the 409 its validator gave, or 503 when Temporal
   * did not answer in time. No signal fallback and no 202: the console shows the answer at once.
   */
  async decideApproval(payoutId: string, decision: ApprovalDecision, actor: string): Promise<PayoutView> {
    const handle = this.client.workflow.getHandle(payoutWorkflowId(payoutId));
    try {
      return await this.answer(() => handle.executeUpdate(APPROVAL_UPDATES[decision], { args: [{ actor, decisionId: randomUUID() }] }));
    } catch (err) {
      if (isWorkflowNotFound(err)) {
        throw new DomainError('PAYOUT_NOT_PENDING_APPROVAL', `payout ${payoutId} is no longer pending approval`);
      }
      throw err;
    }
  }

  /**
   * Tells the payout's workflow that its order changed so that it must be cancelled. The order's
   * commit already marked the payout, so a signal that does not arrive only delays the
   * cancellation until the worker's sweep tells the workflow again; a finished workflow needs no telling.
   */
  async tellOrderChanged(payoutId: string, closeReason: OrderCloseReason): Promise<void> {
    const handle = this.client.workflow.getHandle(payoutWorkflowId(payoutId));
    try {
      await this.client.withDeadline(Date.now() + WORKFLOW_ANSWER_DEADLINE_MS, () => handle.signal(orderChangedSignal, { closeReason }));
    } catch (err) {
      if (!isWorkflowNotFound(err)) throw err;
    }
  }

  private async answer<T>(call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + WORKFLOW_ANSWER_DEADLINE_MS;
    try {
      return await this.client.withDeadline(deadline, call);
    } catch (err) {
      // A result's long poll cut at the deadline reports CANCELLED: that too is "not yet" (503).
      throw isPastDeadline(err, deadline) ? notAnsweredInTime() : toDomainError(err);
    }
  }
}

function toDomainError(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && isErrorCode(err.cause.type)) {
    const details = (err.cause.details?.[0] ?? {}) as ErrorDetails;
    return new DomainError(err.cause.type, err.cause.message, details);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) return err;
  if (isUnansweredInTime(err)) return notAnsweredInTime();
  return err;
}

const notAnsweredInTime = () => new DomainError('SERVICE_UNAVAILABLE', 'the workflow service did not answer in time; retry with the same Idempotency-Key');
