/**
 * The archive sweep's activity (SPEC §7): finds the seller workflows that closed since the last
 * sweep through Temporal's visibility, reads each one's full history (the close event included, as
 * the run is closed) through the client's data converter, and appends it, decoded, to its seller's
 * hash chain. Runs are appended in batches, one transaction each (issue 18: it was one per run).
 *
 * A seller's workflow is any workflow that carries the `SellerId` search attribute: payouts today
 * (refused ones too), and any workflow added later (recharges, withdrawals, top-ups) by setting it,
 * with no change here.
 *
 * Safe to run twice and side by side: each run is archived once (db/audit/archive.ts), and the
 * watermark only moves forward once every workflow listed up to it was archived.
 */
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { MikroORM } from '@mikro-orm/mysql';
import { canonicalJson } from '../audit/chain';
import { decodeHistory } from '../audit/decoded-history';
import {
  APPEND_BATCH_HISTORY_BYTES_MAX, APPEND_BATCH_RUNS_MAX, appendBatchToChain, appendToChain, archivedAmong, runKey, type ClosedWorkflow,
} from '../db/audit/archive';
import { Setting } from '../db/common/entities';
import { insertOnce } from '../db/insert-once';
import { isId } from '../domain/id';
import type { Clock } from '../domain/time';
import { isWorkflowNotFound } from '../temporal/grpc-status';
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
  /** Could not be archived this time (logged); the watermark then stays, so the next sweep retries them. */
  failed: number;
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
const LIST_PAGES_MAX = Math.ceil(SWEEP_RUNS_MAX / LIST_PAGE_SIZE) + 1;
const HEARTBEAT_EVERY = 20;
/** The most runs read and not yet appended that a sweep holds, over all its sellers' batches. */
const SWEEP_HELD_RUNS_MAX = 1_000;
/** The most history text those runs hold. */
const SWEEP_HELD_HISTORY_BYTES_MAX = 64 * 1024 * 1024;

export interface SweepScope {
  /**
   * Archive these sellers' closed workflows now, whatever the watermark, and leave the watermark
   * alone (an operator catching up on some sellers, or a test); at most SWEEP_SCOPE_SELLERS_MAX.
   */
  sellerIds?: string[];
}

export const SWEEP_SCOPE_SELLERS_MAX = 100;

export function createArchiveActivities({ orm, client, clock }: ArchiveActivityDeps) {
  return {
    async archiveClosedWorkflows(scope: SweepScope = {}): Promise<SweepResult> {
      const scoped = scope.sellerIds !== undefined;
      if (scoped && (scope.sellerIds!.length === 0 || scope.sellerIds!.length > SWEEP_SCOPE_SELLERS_MAX || !scope.sellerIds!.every(isId))) {
        throw ApplicationFailure.nonRetryable(`a scoped sweep names 1 to ${SWEEP_SCOPE_SELLERS_MAX} seller ids`, 'VALIDATION_ERROR');
      }
      const listedAt = clock.now();
      const watermark = scoped ? null : await readWatermark(orm);
      const result: SweepResult = { listed: 0, archived: 0, alreadyArchived: 0, gone: 0, failed: 0, complete: true };
      const count = (outcomes: Outcome[]) => outcomes.forEach((outcome) => result[OUTCOME_COUNTS[outcome]]++);
      const pending = pendingAppends(async (runs) => count(await appendRuns(orm, runs, clock.now())));
      for await (const run of listedRuns(orm, client, closedSellerWorkflows(watermark, scope.sellerIds))) {
        if (result.listed >= SWEEP_RUNS_MAX) {
          result.complete = false;
          break;
        }
        result.listed++;
        // One run that cannot be read now must not hold up the others.
        const read = run.archived ? 'already archived' as const : await readClosedRun(client, run, clock).catch((err: unknown) => notArchived(run, err));
        if (typeof read === 'string') count([read]);
        else await pending.add(read);
        if (result.listed % HEARTBEAT_EVERY === 0) heartbeat(result);
      }
      await pending.flush();
      if (!scoped && result.complete && result.failed === 0) await writeWatermark(orm, listedAt);
      return result;
    },
  };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;

/**
 * Closed runs that carry a seller (one of `sellerIds` when given, ids of `ID_PATTERN`, which holds
 * no quote), since a little before the watermark (all of them on the first sweep).
 */
export function closedSellerWorkflows(watermark: Date | null, sellerIds?: string[]): string {
  const sellers = sellerIds ? `${SELLER_ID_KEY.name} IN (${sellerIds.map((id) => `"${id}"`).join(', ')})` : `${SELLER_ID_KEY.name} IS NOT NULL`;
  const clauses = [sellers, 'ExecutionStatus != "Running"'];
  if (watermark) clauses.push(`CloseTime >= "${new Date(watermark.getTime() - VISIBILITY_LAG_MS).toISOString()}"`);
  return clauses.join(' AND ');
}

interface ClosedRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  status: string;
  startedAt: Date;
  closedAt: Date | undefined;
  sellerId: string | undefined;
}

/**
 * The runs visibility lists, each with whether it is archived already: one query per page of runs
 * (issue 18: it was one per run). A run archived between that query and its append is found by the
 * append's unique key (appendRuns).
 */
async function* listedRuns(orm: MikroORM, client: Client, query: string): AsyncGenerator<ClosedRun & { archived: boolean }> {
  for await (const page of closedRunPages(client, query)) {
    const archived = await archivedAmong(orm.em.fork(), page);
    for (const run of page) yield { ...run, archived: archived.has(runKey(run)) };
  }
}

/**
 * The runs visibility lists, page by page. Read raw rather than through `client.workflow.list`,
 * which decodes each run's memo with the data converter: a run whose memo cannot be decoded (a key
 * no longer configured) would stop the whole listing. Search attributes are never encoded.
 */
async function* closedRunPages(client: Client, query: string): AsyncGenerator<ClosedRun[]> {
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const response = await client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, pageSize: LIST_PAGE_SIZE, nextPageToken });
    yield (response.executions ?? []).map((info) => ({
      workflowId: info.execution?.workflowId ?? '',
      runId: info.execution?.runId ?? '',
      workflowType: info.type?.name ?? '',
      status: (temporal.api.enums.v1.WorkflowExecutionStatus[info.status ?? 0] ?? 'UNSPECIFIED').replace(/^WORKFLOW_EXECUTION_STATUS_/, ''),
      startedAt: optionalTsToDate(info.startTime) ?? new Date(0),
      closedAt: optionalTsToDate(info.closeTime),
      sellerId: decodeTypedSearchAttributes(info.searchAttributes?.indexedFields).get(SELLER_ID_KEY),
    }));
    if (!response.nextPageToken?.length) return;
    nextPageToken = response.nextPageToken;
  }
}

/** The run as it is archived, its history read and decoded; 'gone' when Temporal no longer has it. */
async function readClosedRun(client: Client, run: ClosedRun, clock: Clock): Promise<ClosedWorkflow | 'gone'> {
  const { workflowId, runId, sellerId } = run;
  // The query lists only runs with a seller; one without would have no chain to join.
  if (!sellerId) return 'gone';
  let events;
  try {
    events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  } catch (err) {
    if (isWorkflowNotFound(err)) return 'gone';
    throw err;
  }
  return {
    sellerId,
    workflowId,
    runId,
    workflowType: run.workflowType,
    status: run.status,
    startedAt: run.startedAt,
    closedAt: run.closedAt ?? clock.now(),
    history: canonicalJson(await decodeHistory(client.options.loadedDataConverter, events)),
  };
}

type Outcome = 'archived' | 'already archived' | 'gone' | 'failed';

const OUTCOME_COUNTS = { archived: 'archived', 'already archived': 'alreadyArchived', gone: 'gone', failed: 'failed' } as const;

/**
 * The runs read and not yet appended, in one batch per seller (STYLE 7: a write transaction touches
 * one seller's rows): `add` appends a seller's batch (`append`) before a run that would take it over
 * a batch's bounds, and the largest batch held once the sweep holds SWEEP_HELD_RUNS_MAX runs or
 * SWEEP_HELD_HISTORY_BYTES_MAX of history; `flush` appends the rest once the listing ends. So the
 * runs of a seller that visibility lists across several pages still share batches, and a sweep
 * holds a bounded amount of history in memory.
 */
function pendingAppends(append: (runs: ClosedWorkflow[]) => Promise<void>) {
  const batches = new Map<string, { runs: ClosedWorkflow[]; bytes: number }>();
  let heldRuns = 0;
  let heldBytes = 0;
  const flushSeller = async (sellerId: string) => {
    const batch = batches.get(sellerId);
    if (!batch) return;
    batches.delete(sellerId);
    heldRuns -= batch.runs.length;
    heldBytes -= batch.bytes;
    await append(batch.runs);
  };
  const largest = () => [...batches.entries()].reduce((a, b) => (b[1].runs.length > a[1].runs.length ? b : a))[0];
  return {
    async add(run: ClosedWorkflow): Promise<void> {
      const bytes = Buffer.byteLength(run.history, 'utf8');
      const held = batches.get(run.sellerId);
      if (held && (held.runs.length === APPEND_BATCH_RUNS_MAX || held.bytes + bytes > APPEND_BATCH_HISTORY_BYTES_MAX)) await flushSeller(run.sellerId);
      const batch = batches.get(run.sellerId) ?? { runs: [], bytes: 0 };
      batches.set(run.sellerId, batch);
      batch.runs.push(run);
      batch.bytes += bytes;
      heldRuns++;
      heldBytes += bytes;
      while (heldRuns > SWEEP_HELD_RUNS_MAX || heldBytes > SWEEP_HELD_HISTORY_BYTES_MAX) await flushSeller(largest());
    },
    async flush(): Promise<void> {
      for (const sellerId of [...batches.keys()]) await flushSeller(sellerId);
    },
  };
}

/**
 * Appends the runs in one transaction (a lone run through appendToChain, whose transaction costs
 * the same). When one of them was archived meanwhile (by another sweep, since this one listed
 * them), the batch rolls back on its unique key and the runs are appended one by one, each saying
 * whether it was archived already. A batch that fails otherwise fails for all its runs.
 */
async function appendRuns(orm: MikroORM, runs: ClosedWorkflow[], now: Date): Promise<Outcome[]> {
  const appendOne = (run: ClosedWorkflow) => appendToChain(orm.em.fork(), run, now).catch((err: unknown) => notArchived(run, err));
  if (runs.length === 1) return [await appendOne(runs[0])];
  try {
    await appendBatchToChain(orm.em.fork(), runs, now);
    return runs.map(() => 'archived');
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) return runs.map((run) => notArchived(run, err));
  }
  const outcomes: Outcome[] = [];
  for (const run of runs) outcomes.push(await appendOne(run));
  return outcomes;
}

/** Logs a run that cannot be archived now; it counts as failed, and the next sweep retries it. */
function notArchived(run: { workflowId: string; runId: string }, error: unknown): 'failed' {
  // The line's own workflowId is the sweep's; the run that failed is named apart.
  log.warn('workflow not archived; the next sweep retries', { archivedWorkflowId: run.workflowId, archivedRunId: run.runId, error });
  return 'failed';
}

async function readWatermark(orm: MikroORM): Promise<Date | null> {
  const setting = await orm.em.fork().findOne(Setting, { name: ARCHIVE_WATERMARK_SETTING });
  return typeof setting?.value === 'string' ? new Date(setting.value) : null;
}

/** Moves the watermark forward only: a slow sweep that finishes after a faster one never moves it back. */
async function writeWatermark(orm: MikroORM, listedAt: Date): Promise<void> {
  await orm.em.fork().transactional(async (tx) => {
    if (await insertOnce(tx, Setting, { name: ARCHIVE_WATERMARK_SETTING, value: listedAt.toISOString(), updatedAt: listedAt }, ['name'])) return;
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
