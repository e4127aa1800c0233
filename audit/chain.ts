/**
 * The per-seller hash chain of archived workflow records (SPEC §7). Each record's hash is the
 * SHA-256 of the canonical JSON (RFC 8785) of the record together with the previous record's hash;
 * the first record of a seller follows the genesis value. Changing any field of any record, or
 * removing one, changes a hash that a later record (or the chain head) holds, so a recomputation
 * names the first record that no longer fits.
 */
import { createHash } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';
import type { ArchivedWorkflowFields } from '../db/audit/entities';

/** What the first record of every seller's chain holds as its previous hash. */
export const GENESIS_HASH = '0'.repeat(64);

export type ChainedFields = Omit<ArchivedWorkflowFields, 'hash'>;

export function canonicalJson(value: unknown): string {
  return canonicalize(value);
}

/** The hash of a record: every field the archive stores, the history as the JSON it holds, and the previous hash. */
export function recordHash(record: ChainedFields): string {
  const hashed = {
    previousHash: record.previousHash,
    record: {
      sellerId: record.sellerId,
      seq: record.seq,
      workflowId: record.workflowId,
      runId: record.runId,
      workflowType: record.workflowType,
      status: record.status,
      startedAt: record.startedAt.toISOString(),
      closedAt: record.closedAt.toISOString(),
      archivedAt: record.archivedAt.toISOString(),
      history: JSON.parse(record.history) as unknown,
    },
  };
  return createHash('sha256').update(canonicalJson(hashed), 'utf8').digest('hex');
}

export type BreakReason = 'HASH_MISMATCH' | 'PREVIOUS_HASH_MISMATCH' | 'SEQUENCE_GAP' | 'HEAD_MISMATCH' | 'UNREADABLE';

export interface BrokenRecord {
  seq: number;
  workflowId: string | null;
  runId: string | null;
  reason: BreakReason;
}

/** Checks one record against the one before it; null when it fits. */
export function checkLink(record: ArchivedWorkflowFields, expectedSeq: number, expectedPrevious: string): BreakReason | null {
  if (record.seq !== expectedSeq) return 'SEQUENCE_GAP';
  if (record.previousHash !== expectedPrevious) return 'PREVIOUS_HASH_MISMATCH';
  let hash: string;
  try {
    hash = recordHash(record);
  } catch {
    return 'UNREADABLE';
  }
  return hash === record.hash ? null : 'HASH_MISMATCH';
}
