/**
 * How a payout's workflow hands a crossing (SPEC §5 automatic top-up) to its top-up: it starts
 * `top-up-<id>` as an abandoned child, so the top-up runs on whatever becomes of the payout. A
 * crossing that joined a top-up already started finds it there: one top-up, however many crossings.
 * Called only when a crossing asked for a top-up, behind the patch, so that payouts that never
 * cross issue the commands they always did and every recorded history replays.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, patched, proxyLocalActivities, startChild } from '@temporalio/workflow';
import type { TopUpActivities } from '../../activities/top-up-activities';
import { DB_ACTIVITY } from '../activity-options';
import { SELLER_ID_KEY } from '../search-attributes';
import { topUpWorkflow } from './top-up';

/** The patch that brought the automatic top-up into the payout workflow. */
export const AUTO_TOP_UP_PATCH = 'auto-top-up';

const db = proxyLocalActivities<TopUpActivities>(DB_ACTIVITY);

export const topUpWorkflowId = (topUpId: string) => `top-up-${topUpId}`;

export async function askTopUp(sellerId: string, topUpId: string, confirmWindowMs: number): Promise<void> {
  if (!patched(AUTO_TOP_UP_PATCH)) return;
  try {
    await startChild(topUpWorkflow, {
      workflowId: topUpWorkflowId(topUpId),
      args: [{ topUpId, sellerId, confirmWindowMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Archived with the seller's other workflows (the archive sweeps those that carry SellerId).
      typedSearchAttributes: [{ key: SELLER_ID_KEY, value: sellerId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** A payout refused for INSUFFICIENT_RESERVE is a crossing too: records it, then asks for its top-up. */
export async function askTopUpAfterRefusal(sellerId: string, payoutId: string, confirmWindowMs: number): Promise<void> {
  if (!patched(AUTO_TOP_UP_PATCH)) return;
  const topUpId = await db.recordRefusalCrossing(sellerId, payoutId);
  if (topUpId) await askTopUp(sellerId, topUpId, confirmWindowMs);
}
