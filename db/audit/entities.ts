/**
 * Entities of the audit trail (SPEC §7): archived workflow histories, the head of each seller's
 * hash chain, and the settings change log. All three are append-only for the service: records and
 * log rows are inserted once; only a chain head moves forward.
 */
import { BigIntType, EntitySchema } from '@mikro-orm/core';

const time = () => ({ type: 'datetime', length: 3 });

export interface ArchivedWorkflowFields {
  sellerId: string;
  /** The record's position in the seller's chain, from 1. */
  seq: number;
  workflowId: string;
  runId: string;
  workflowType: string;
  /** How the run closed: COMPLETED, FAILED, TERMINATED, CANCELED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  startedAt: Date;
  closedAt: Date;
  archivedAt: Date;
  /** The decoded history as canonical JSON (RFC 8785): exactly the text that was hashed. */
  history: string;
  previousHash: string;
  hash: string;
}

export class ArchivedWorkflow implements ArchivedWorkflowFields {
  id?: number;
  sellerId!: string;
  seq!: number;
  workflowId!: string;
  runId!: string;
  workflowType!: string;
  status!: string;
  startedAt!: Date;
  closedAt!: Date;
  archivedAt!: Date;
  history!: string;
  previousHash!: string;
  hash!: string;

  constructor(fields: ArchivedWorkflowFields) {
    Object.assign(this, fields);
  }
}

export const ArchivedWorkflowSchema = new EntitySchema<ArchivedWorkflow>({
  class: ArchivedWorkflow,
  tableName: 'workflow_archive',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    sellerId: { type: 'string' },
    seq: { type: 'integer' },
    workflowId: { type: 'string' },
    runId: { type: 'string' },
    workflowType: { type: 'string' },
    status: { type: 'string' },
    startedAt: time(),
    closedAt: time(),
    archivedAt: time(),
    history: { type: 'text', lazy: true },
    previousHash: { type: 'string' },
    hash: { type: 'string' },
  },
});

export class AuditChainHead {
  constructor(
    readonly sellerId: string,
    public lastSeq: number,
    public lastHash: string,
    public updatedAt: Date,
  ) {}
}

export const AuditChainHeadSchema = new EntitySchema<AuditChainHead>({
  class: AuditChainHead,
  tableName: 'audit_chain_heads',
  properties: {
    sellerId: { type: 'string', primary: true },
    lastSeq: { type: 'integer' },
    lastHash: { type: 'string' },
    updatedAt: time(),
  },
});

/** The settings SPEC §7 logs; new settings add their name here and call `logSettingChange`. */
export const SETTINGS = ['enabled', 'limits', 'lowBalanceThreshold', 'autoTopUp', 'approvalPolicy', 'subAccountPermission'] as const;
export type SettingName = (typeof SETTINGS)[number];

/** Who changed a setting: an account and its role, or `system` for a change the service made itself. */
export interface SettingsActor {
  id: string;
  role: string;
}

export class SettingsChange {
  id?: number;
  constructor(
    readonly sellerId: string,
    readonly setting: SettingName,
    readonly actorId: string,
    readonly actorRole: string,
    readonly changedAt: Date,
    readonly before: unknown,
    readonly after: unknown,
  ) {}
}

export const SettingsChangeSchema = new EntitySchema<SettingsChange>({
  class: SettingsChange,
  tableName: 'settings_changes',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    sellerId: { type: 'string' },
    setting: { type: 'string' },
    actorId: { type: 'string' },
    actorRole: { type: 'string' },
    changedAt: time(),
    before: { type: 'json', nullable: true },
    after: { type: 'json', nullable: true },
  },
});

export const AUDIT_ENTITIES = [ArchivedWorkflowSchema, AuditChainHeadSchema, SettingsChangeSchema];
