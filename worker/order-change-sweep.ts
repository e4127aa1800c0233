/**
 * Re-tells payout workflows of the order changes that cancel them (SPEC §5 "The edges"). The API
 * marks the payout in the order's transaction and signals the workflow after the commit; a process
 * that dies in between leaves the mark without the signal. Every worker sweeps for such marks, so
 * the payout is still cancelled within seconds. Signals are harmless to repeat: the mark decides.
 */
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/mysql';
import type { Logger } from '../logger';
import { payoutsWithPendingOrderChange } from '../db/payouts/payouts';
import type { OrderCloseReason } from '../domain/payout';
import { orderChangedSignal } from '../workflows/payout';
import { payoutWorkflowId } from '../api/payout-gateway';
import { isWorkflowNotFound } from '../temporal/grpc-status';

/** How often a worker looks for order changes not yet told; the API's own tell is immediate. */
export const ORDER_CHANGE_SWEEP_INTERVAL_MS = 3_000;

export interface Sweep {
  stop(): Promise<void>;
}

export function startOrderChangeSweep(orm: MikroORM, client: Client, logger: Logger, intervalMs = ORDER_CHANGE_SWEEP_INTERVAL_MS): Sweep {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      await sweepOnce(orm, client).catch((err) => {
        // A warning: the next pass, seconds later, tries again (a database or Temporal that is down).
        logger.warn({ err }, 'order change sweep failed; retrying');
      });
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

/** Signals the workflow of every payout that an order change marked and that is still open. */
export async function sweepOnce(orm: MikroORM, client: Client): Promise<number> {
  const marked = await payoutsWithPendingOrderChange(orm.em.fork());
  for (const { id, pendingCloseReason } of marked) {
    await client.workflow.getHandle(payoutWorkflowId(id)).signal(orderChangedSignal, { closeReason: pendingCloseReason as OrderCloseReason }).catch((err) => {
      if (!isWorkflowNotFound(err)) throw err;
    });
  }
  return marked.length;
}
