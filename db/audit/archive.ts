/**
 * The archive's database side: appending closed workflows' records to their seller's chain, one
 * run or a batch of one seller's runs per transaction, reading a record back, and recomputing a
 * seller's chain.
 *
 * An append locks the seller's chain head row, so that appends of one seller are serialised and
 * each record follows exactly one predecessor; it is idempotent by (workflow id, run id): a sweep
 * that runs twice, or two sweeps at once, archive each run once. The service only ever inserts
 * records (the database refuses updates and deletes, migration 20261211).
 */
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';
import { GENESIS_HASH, checkLink, recordHash, type BrokenRecord } from '../../audit/chain';
import { ArchivedWorkflow, AuditChainHead, type ArchivedWorkflowFields } from './entities';
import { insertOnce } from '../insert-once';

/** A closed run as the sweep read it: the archived record before its place in the chain is known. */
export type ClosedWorkflow = Pick<ArchivedWorkflowFields, 'sellerId' | 'workflowId' | 'runId' | 'workflowType' | 'status' | 'startedAt' | 'closedAt' | 'history'>;

/**
 * Appends the record unless this run is archived already; says which it was. Issue 18: the head is
 * locked with one read when it exists (every append but a seller's first), and whether the run is
 * archived is left to the unique (workflow id, run id) key, which refuses a second record and so
 * rolls the whole append back, the head's move included: no read for it in the common case.
 */
export async function appendToChain(em: EntityManager, closed: ClosedWorkflow, now: Date): Promise<'archived' | 'already archived'> {
  try {
    return await em.transactional(async (tx) => {
      chainOnto(tx, await lockChainHead(tx, closed.sellerId, now), closed, now);
      return 'archived' as const;
    });
  } catch (err) {
    // Under the head's lock no other record can take this seq: the key that refused is the run's.
    if (err instanceof UniqueConstraintViolationException && (await isArchived(em.fork(), closed.workflowId, closed.runId))) return 'already archived';
    throw err;
  }
}

/**
 * The most runs one batch appends. Its records go to the database as one INSERT, and its
 * transaction holds the lock of its seller's head while that INSERT runs.
 */
export const APPEND_BATCH_RUNS_MAX = 50;
/**
 * The most history text (UTF-8) one batch appends, unless a single run holds more. The INSERT
 * carries the histories escaped, at most twice as long (a quote or a backslash gains a backslash),
 * and must fit the server's max_allowed_packet: 16 MiB, MariaDB's default since 10.2, and here.
 */
export const APPEND_BATCH_HISTORY_BYTES_MAX = 4 * 1024 * 1024;

/**
 * Appends runs of one seller in one transaction (issue 18: one commit for the batch, where
 * appendToChain commits once per run; one seller, STYLE 7): one read locks the seller's head, the
 * records go in as one multi-row INSERT, and the head moves once, to the last record. The runs
 * follow each other in the batch's order. All or nothing: when one of the runs is
 * archived already (by another sweep since this one listed it), its unique (workflow id, run id)
 * key refuses the INSERT, the batch rolls back, and this throws UniqueConstraintViolationException;
 * appending the runs one by one with appendToChain then tells which were archived.
 */
export async function appendBatchToChain(em: EntityManager, batch: readonly ClosedWorkflow[], now: Date): Promise<void> {
  const historyBytes = batch.reduce((sum, closed) => sum + Buffer.byteLength(closed.history, 'utf8'), 0);
  if (batch.length > APPEND_BATCH_RUNS_MAX || (batch.length > 1 && historyBytes > APPEND_BATCH_HISTORY_BYTES_MAX)) {
    throw new Error(`an archive batch holds at most ${APPEND_BATCH_RUNS_MAX} runs and ${APPEND_BATCH_HISTORY_BYTES_MAX} bytes of history, not ${batch.length} and ${historyBytes}`);
  }
  if (batch.length === 0) return;
  if (new Set(batch.map((closed) => closed.sellerId)).size > 1) throw new Error('an archive batch appends to one seller\'s chain');
  await em.transactional(async (tx) => {
    const head = await lockChainHead(tx, batch[0].sellerId, now);
    for (const closed of batch) chainOnto(tx, head, closed, now);
  });
}

/** Creates the record that follows the head, and moves the head onto it; both are written at the flush. */
function chainOnto(tx: EntityManager, head: AuditChainHead, closed: ClosedWorkflow, now: Date): void {
  const fields = { ...closed, seq: head.lastSeq + 1, archivedAt: now, previousHash: head.lastHash };
  const record = tx.create(ArchivedWorkflow, { ...fields, hash: recordHash(fields) });
  head.lastSeq = record.seq;
  head.lastHash = record.hash;
  head.updatedAt = now;
}

/** The seller's chain head under lock, made at the genesis value on the seller's first append. */
async function lockChainHead(tx: EntityManager, sellerId: string, now: Date): Promise<AuditChainHead> {
  const lock = () => tx.findOne(AuditChainHead, { sellerId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  const head = await lock();
  if (head) return head;
  await insertOnce(tx, AuditChainHead, { sellerId, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: now }, ['sellerId']);
  return (await lock())!;
}

/** A run's key in the set archivedAmong answers. */
export const runKey = (run: { workflowId: string; runId: string }) => `${run.workflowId}\u0000${run.runId}`;

/** Which of these runs are archived, in one query (the unique (workflow id, run id) key answers it). */
export async function archivedAmong(em: EntityManager, runs: readonly { workflowId: string; runId: string }[]): Promise<Set<string>> {
  if (runs.length === 0) return new Set();
  const found = await em.find(ArchivedWorkflow, { $or: runs.map(({ workflowId, runId }) => ({ workflowId, runId })) }, { fields: ['workflowId', 'runId'], disableIdentityMap: true });
  return new Set(found.map(runKey));
}

export async function isArchived(em: EntityManager, workflowId: string, runId: string): Promise<boolean> {
  return (await em.count(ArchivedWorkflow, { workflowId, runId })) > 0;
}

/** The latest archived run of a workflow id, with its history; null when none is archived. */
export async function archivedRun(em: EntityManager, workflowId: string): Promise<ArchivedWorkflow | null> {
  return em.findOne(ArchivedWorkflow, { workflowId }, { orderBy: { closedAt: 'desc', id: 'desc' }, populate: ['history'] });
}

/** Records read per query while a chain is recomputed; each holds a whole history. */
export const CHAIN_PAGE_SIZE = 100;
/** The most records one recomputation reads; a longer chain answers `complete: false`. */
export const CHAIN_RECORDS_MAX = 200_000;

export interface ChainVerdict {
  sellerId: string;
  records: number;
  valid: boolean;
  firstBrokenRecord: BrokenRecord | null;
  /** False when the bound stopped the recomputation before the last record. */
  complete: boolean;
}

/**
 * Recomputes the seller's chain from the genesis value, record by record in sequence order, and
 * names the first record that does not fit. The head's last hash must match the last record, so
 * that a record removed from the end is noticed too.
 */
export async function verifyChain(em: EntityManager, sellerId: string): Promise<ChainVerdict> {
  let previous = GENESIS_HASH;
  let expectedSeq = 1;
  let afterSeq = 0;
  const verdict = (firstBrokenRecord: BrokenRecord | null, complete = true): ChainVerdict => ({
    sellerId, records: expectedSeq - 1, valid: firstBrokenRecord === null, firstBrokenRecord, complete,
  });
  while (expectedSeq - 1 < CHAIN_RECORDS_MAX) {
    const page = await em.find(ArchivedWorkflow, { sellerId, seq: { $gt: afterSeq } }, {
      orderBy: { seq: 'asc' }, limit: CHAIN_PAGE_SIZE, populate: ['history'], disableIdentityMap: true,
    });
    for (const record of page) {
      const reason = checkLink(record, expectedSeq, previous);
      if (reason) return verdict({ seq: record.seq, workflowId: record.workflowId, runId: record.runId, reason });
      previous = record.hash;
      afterSeq = record.seq;
      expectedSeq++;
    }
    if (page.length < CHAIN_PAGE_SIZE) return verdict(await checkHead(em, sellerId, expectedSeq - 1, previous));
  }
  return verdict(null, false);
}

/** The head names the last record appended: a chain that ends earlier lost its tail. */
async function checkHead(em: EntityManager, sellerId: string, lastSeq: number, lastHash: string): Promise<BrokenRecord | null> {
  const head = await em.findOne(AuditChainHead, { sellerId }, { refresh: true });
  if (head ? head.lastSeq === lastSeq && head.lastHash === lastHash : lastSeq === 0) return null;
  return { seq: lastSeq + 1, workflowId: null, runId: null, reason: 'HEAD_MISMATCH' };
}
