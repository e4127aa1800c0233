/**
 * The archive sweep's activity (SPEC §7): finds the seller workflows that closed since the last
 * sweep through Temporal's visibility, reads each one's full history (the close event included, as
 * the run is closed) through the client's data converter, and appends it, decoded, to its seller's
 * hash chain.
 *
 * A seller's workflow is any workflow that carries the `SellerId` search attribute: payouts today
 * (refused ones too), and any workflow added later (recharges, withdrawals, top-ups) by setting it,
 * with no change here.
 *
 * Safe to run twice and side by side: each run is archived once (db/audit-archive.ts), and the
 * watermark only moves forward once every workflow listed up to it was archived.
 */
import { LockMode } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { isGrpcServiceError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/mysql';
import { canonicalJson } from '../audit/chain';
import { decodeHistory } from '../audit/decoded-history';
import { appendToChain, isArchived } from '../db/audit-archive';
import { Setting } from '../db/entities';
import { insertOnce } from '../db/insert-once';
import type { Clock } from '../domain/time';
import { SELLER_ID_KEY } from '../workflows/search-attributes';

export interface ArchiveActivityDeps {
  orm: MikroORM;
  /** Reads visibility and histories; its data converter decodes the payloads. */
  client: Client;
  clock: Clock;
}

export interface SweepResult {
  listed: number;
  archived: number;
  alreadyArchived: number;
  /** Listed as closed, but Temporal no longer had the history when it was read (deleted meanwhile). */
  gone: number;
  /** False when the bound stopped the sweep; the watermark then stays, and the next sweep goes on. */
  complete: boolean;
}

/** Where the sweep keeps the close time up to which every seller workflow is archived. */
export const ARCHIVE_WATERMARK_SETTING = 'archive.closedBefore';
/**
 * Visibility is updated after a workflow closes, asynchronously: a run that closed just before a
 * sweep may be listed only by a later one. Each sweep looks this far behind its watermark, which
 * costs a few runs read twice (and skipped) and loses none.
 */
export const VISIBILITY_LAG_MS = 10 * 60 * 1000;
/** The most runs one sweep looks at; the next sweep continues. */
export const SWEEP_RUNS_MAX = 5_000;
const LIST_PAGE_SIZE = 200;
const HEARTBEAT_EVERY = 20;
const GRPC_NOT_FOUND = 5;

export function createArchiveActivities({ orm, client, clock }: ArchiveActivityDeps) {
  return {
    async archiveClosedWorkflows(): Promise<SweepResult> {
      const listedAt = clock.now();
      const watermark = await readWatermark(orm);
      const result: SweepResult = { listed: 0, archived: 0, alreadyArchived: 0, gone: 0, complete: true };
      for await (const execution of client.workflow.list({ query: closedSellerWorkflows(watermark), pageSize: LIST_PAGE_SIZE })) {
        if (result.listed >= SWEEP_RUNS_MAX) {
          result.complete = false;
          break;
        }
        result.listed++;
        const outcome = await archiveRun(orm, client, execution, clock);
        result[outcome === 'archived' ? 'archived' : outcome === 'gone' ? 'gone' : 'alreadyArchived']++;
        if (result.listed % HEARTBEAT_EVERY === 0) heartbeat(result);
      }
      if (result.complete) await writeWatermark(orm, listedAt);
      return result;
    },
  };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;

/** Closed runs that carry a seller, since a little before the watermark (all of them on the first sweep). */
export function closedSellerWorkflows(watermark: Date | null): string {
  const clauses = [`${SELLER_ID_KEY.name} IS NOT NULL`, 'ExecutionStatus != "Running"'];
  if (watermark) clauses.push(`CloseTime >= "${new Date(watermark.getTime() - VISIBILITY_LAG_MS).toISOString()}"`);
  return clauses.join(' AND ');
}

async function archiveRun(orm: MikroORM, client: Client, execution: WorkflowExecutionInfo, clock: Clock): Promise<'archived' | 'already archived' | 'gone'> {
  const { workflowId, runId } = execution;
  // The query lists only runs with a seller; one without would have no chain to join.
  const sellerId = execution.typedSearchAttributes.get(SELLER_ID_KEY);
  if (!sellerId) return 'gone';
  if (await isArchived(orm.em.fork(), workflowId, runId)) return 'already archived';
  let events;
  try {
    events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return 'gone';
    throw err;
  }
  const history = canonicalJson(await decodeHistory(client.options.loadedDataConverter, events));
  return appendToChain(orm.em.fork(), {
    sellerId,
    workflowId,
    runId,
    workflowType: execution.type,
    status: execution.status.name,
    startedAt: execution.startTime,
    closedAt: execution.closeTime ?? clock.now(),
    history,
  }, clock.now());
}

async function readWatermark(orm: MikroORM): Promise<Date | null> {
  const setting = await orm.em.fork().findOne(Setting, { name: ARCHIVE_WATERMARK_SETTING });
  return typeof setting?.value === 'string' ? new Date(setting.value) : null;
}

/** Moves the watermark forward only: a slow sweep that finishes after a faster one never moves it back. */
async function writeWatermark(orm: MikroORM, listedAt: Date): Promise<void> {
  await orm.em.fork().transactional(async (tx) => {
    if (await insertOnce(tx, Setting, new Setting(ARCHIVE_WATERMARK_SETTING, listedAt.toISOString(), listedAt), ['name'])) return;
    const setting = await tx.findOneOrFail(Setting, { name: ARCHIVE_WATERMARK_SETTING }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (typeof setting.value === 'string' && new Date(setting.value) >= listedAt) return;
    setting.value = listedAt.toISOString();
    setting.updatedAt = listedAt;
  });
}

/** Heartbeats progress when running as an activity; a no-op when called directly. */
function heartbeat(progress: SweepResult): void {
  try {
    Context.current().heartbeat(progress);
  } catch {
    // Not in an activity context (a direct call from a script or test): nothing to report to.
  }
}
