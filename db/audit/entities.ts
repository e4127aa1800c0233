/**
 * Entities of the audit trail (SPEC §7): archived workflow histories, the head of each seller's
 * hash chain, the settings change log, and the reports of the daily reconciliation. All are
 * append-only for the service: records, log rows and reports are inserted once; only a chain head
 * moves forward.
 */
import type { InferEntity } from '@mikro-orm/core';
import { orNull, p, serial, table, time } from '../columns';

export const ArchivedWorkflow = table('ArchivedWorkflow', 'workflow_archive', {
  id: serial(),
  sellerId: p.string(),
  /** The record's position in the seller's chain, from 1. */
  seq: p.integer(),
  workflowId: p.string(),
  runId: p.string(),
  workflowType: p.string(),
  /** How the run closed: COMPLETED, FAILED, TERMINATED, CANCELED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: p.string(),
  startedAt: time(),
  closedAt: time(),
  archivedAt: time(),
  /** The decoded history as canonical JSON (RFC 8785): exactly the text that was hashed. */
  history: p.text().lazy(true, false),
  previousHash: p.string(),
  hash: p.string(),
});
export type ArchivedWorkflow = InferEntity<typeof ArchivedWorkflow>;
/** A record as it is chained and hashed (audit/chain.ts). */
export type ArchivedWorkflowFields = Omit<ArchivedWorkflow, 'id'>;

export const AuditChainHead = table('AuditChainHead', 'audit_chain_heads', {
  sellerId: p.string().primary(),
  lastSeq: p.integer(),
  lastHash: p.string(),
  updatedAt: time(),
});
export type AuditChainHead = InferEntity<typeof AuditChainHead>;

/** The settings SPEC §7 logs; new settings add their name here and call `logSettingChange`. */
export const SETTINGS = ['enabled', 'limits', 'lowBalanceThreshold', 'autoTopUp', 'approvalPolicy', 'subAccountPermission'] as const;
export type SettingName = (typeof SETTINGS)[number];

/** Who changed a setting: an account and its role, or `system` for a change the service made itself. */
export interface SettingsActor {
  id: string;
  role: string;
}

export const SettingsChange = table('SettingsChange', 'settings_changes', {
  id: serial(),
  sellerId: p.string(),
  setting: p.string().$type<SettingName>(),
  actorId: p.string(),
  actorRole: p.string(),
  changedAt: time(),
  before: orNull(p.json<unknown>()),
  after: orNull(p.json<unknown>()),
});
export type SettingsChange = InferEntity<typeof SettingsChange>;

/** One disagreement a reconciliation found (db/ledger/invariants.ts). */
export interface ReconciliationFinding {
  check: string;
  sellerId: string;
  movementKey: string | null;
  message: string;
}

/** The result of one reconciliation run; `findings` holds the first of them, `findingsCount` all. */
export const ReconciliationReport = table('ReconciliationReport', 'reconciliation_reports', {
  id: p.string().primary().length(64),
  workflowId: p.string(),
  createdAt: time(),
  settledBefore: time(),
  /** The sellers checked when the run was scoped; null for every seller. */
  sellerIds: orNull(p.json<string[]>()),
  sellersChecked: p.integer(),
  findingsCount: p.integer(),
  findings: p.json<ReconciliationFinding[]>(),
  /** False when the run's batch bound stopped it before the last seller. */
  complete: p.boolean(),
});
export type ReconciliationReport = InferEntity<typeof ReconciliationReport>;

export const AUDIT_ENTITIES = [ArchivedWorkflow, AuditChainHead, SettingsChange, ReconciliationReport];
