/**
 * What the recharge's and the withdrawal's workflows share (SPEC §3): their ids, derived from the
 * Idempotency-Key as the API's recharge and withdrawal ids are (api/idempotency.ts, idFromKey), so a
 * retried request finds the workflow of the first; and their result, which the API answers with.
 *
 * Deterministic code only.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Fen } from '../../domain/money';

export const rechargeWorkflowId = (rechargeId: string) => `recharge-${rechargeId}`;
export const withdrawalWorkflowId = (withdrawalId: string) => `withdrawal-${withdrawalId}`;

export interface MovementInput {
  sellerId: string;
  amountFen: Fen;
}

/**
 * The movement made (its ledger key; the API reads the entry), or the refusal with its SPEC code.
 * A refusal ends the workflow completed, not failed, so that a late caller with the same key
 * learns it from the result as the first caller did.
 */
export type MovementResult =
  | { status: 'DONE'; movementKey: string }
  | { status: 'REFUSED'; code: string; message: string; details: Record<string, unknown> };

export function refused(code: string, message: string, details: Record<string, unknown> = {}): MovementResult {
  return { status: 'REFUSED', code, message, details };
}

/**
 * The refusal an activity raised as a non-retryable failure with the SPEC code (activities/failures.ts),
 * or null. A local activity's failure reaches the workflow as it was raised; an ordinary activity's
 * inside an ActivityFailure.
 */
export function refusalOf(err: unknown): MovementResult | null {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (!(failure instanceof ApplicationFailure && failure.nonRetryable)) return null;
  const { type, message, details } = failure;
  return refused(type ?? 'REFUSED', message, (details?.[0] ?? {}) as Record<string, unknown>);
}
