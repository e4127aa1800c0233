/**
 * The API's door to the recharge and withdrawal workflows (SPEC §3): starts the movement's
 * workflow, or joins the one a request with the same Idempotency-Key started, and waits up to
 * MOVEMENT_ANSWER_MS for its result. The movement's ledger key, or its refusal as a DomainError
 * with the SPEC code; no result in time is 503 SERVICE_UNAVAILABLE while the workflow goes on, and
 * the same key later answers with what it did.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DomainError, isErrorCode, type ErrorDetails } from '../domain/errors';
import type { Fen } from '../domain/money';
import { isPastDeadline } from '../temporal/grpc-status';
import { rechargeWorkflowId, withdrawalWorkflowId, type MovementResult } from '../workflows/reserve/movements';
import { rechargeWorkflow } from '../workflows/reserve/recharge';
import { withdrawalWorkflow } from '../workflows/reserve/withdrawal';
import { SELLER_ID_KEY } from '../workflows/search-attributes';

/**
 * How long a recharge or a withdrawal waits for its workflow before the API says 503. A provider
 * that answers at once settles it in well under a second; one that is down keeps the workflow
 * retrying, and the seller retries with the same key.
 */
export const MOVEMENT_ANSWER_MS = 10_000;

type MovementWorkflow = typeof rechargeWorkflow | typeof withdrawalWorkflow;

export class ReserveGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly confirmWindowMs: number,
    /** MOVEMENT_ANSWER_MS; a test waits less. */
    private readonly answerMs = MOVEMENT_ANSWER_MS,
  ) {}

  /** Withholds and credits a recharge; returns its movement's key. */
  recharge(rechargeId: string, sellerId: string, amountFen: Fen): Promise<string> {
    return this.run(rechargeWorkflow, rechargeWorkflowId(rechargeId), sellerId, [{ rechargeId, sellerId, amountFen }]);
  }

  /** Debits and pays back a withdrawal; returns its movement's key. */
  withdraw(withdrawalId: string, sellerId: string, amountFen: Fen): Promise<string> {
    const input = { withdrawalId, sellerId, amountFen, confirmWindowMs: this.confirmWindowMs };
    return this.run(withdrawalWorkflow, withdrawalWorkflowId(withdrawalId), sellerId, [input]);
  }

  private async run<W extends MovementWorkflow>(workflow: W, workflowId: string, sellerId: string, args: Parameters<W>): Promise<string> {
    let result: MovementResult;
    const deadline = Date.now() + this.answerMs;
    try {
      result = await this.client.withDeadline(deadline, () => this.startOrJoin(workflow, workflowId, sellerId, args));
    } catch (err) {
      // The money may have moved already (a withdrawal's debit): never a 500 for "not yet".
      if (isPastDeadline(err, deadline)) {
        throw new DomainError('SERVICE_UNAVAILABLE', 'the movement is not settled yet; retry with the same Idempotency-Key for its result');
      }
      throw err;
    }
    if (result.status === 'DONE') return result.movementKey;
    if (!isErrorCode(result.code)) throw new Error(`${workflowId} ended refused with an unknown code ${result.code}`);
    throw new DomainError(result.code, result.message, result.details as ErrorDetails);
  }

  /**
   * A retry with the same key joins the running workflow (USE_EXISTING); one that finished is never
   * started again (REJECT_DUPLICATE), its result is read instead. Archived with the seller's other
   * workflows (the archive sweeps those that carry SellerId).
   */
  private async startOrJoin<W extends MovementWorkflow>(workflow: W, workflowId: string, sellerId: string, args: Parameters<W>): Promise<MovementResult> {
    try {
      const handle = await this.client.workflow.start(workflow as MovementWorkflow, {
        workflowId,
        taskQueue: this.taskQueue,
        args: args as Parameters<MovementWorkflow>,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: SELLER_ID_KEY, value: sellerId }],
      });
      return await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return this.client.workflow.getHandle<MovementWorkflow>(workflowId).result();
    }
  }
}
