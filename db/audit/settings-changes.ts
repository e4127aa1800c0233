/**
 * The settings change log (SPEC §7): who changed which setting of which seller, when, from what to
 * what. `logSettingChange` is called inside the transaction that makes the change, so the change
 * and its row commit together or not at all; a new setting (auto top-up, approval policy) logs
 * itself with one call in its own transaction.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/mysql';
import { canonicalJson } from '../../audit/chain';
import { SettingsChange, type SettingName, type SettingsActor } from './entities';
import { findPage, type Keyset, type Page, type PageRequest } from '../pagination';

/** The service itself, e.g. turning auto top-up off after a refused withholding. */
export const SYSTEM_ACTOR: SettingsActor = Object.freeze({ id: 'system', role: 'system' });

export interface SettingChangeInput {
  sellerId: string;
  setting: SettingName;
  actor: SettingsActor;
  at: Date;
  /** The setting before and after, as JSON values (null: none). */
  before: unknown;
  after: unknown;
}

/**
 * Records the change in `tx`'s unit of work, to be written by the transaction's flush. A write that
 * leaves the setting as it was is not a change and is not logged.
 */
export function logSettingChange(tx: EntityManager, change: SettingChangeInput): void {
  const before = change.before ?? null;
  const after = change.after ?? null;
  if (canonicalJson(before) === canonicalJson(after)) return;
  tx.create(SettingsChange, { sellerId: change.sellerId, setting: change.setting, actorId: change.actor.id, actorRole: change.actor.role, changedAt: change.at, before, after });
}

export interface SettingsChangeFilter {
  /** One seller's changes; every seller's when absent (auditors). */
  sellerId?: string;
  setting?: SettingName;
}

/** Newest first, on the (seller_id, id) index for one seller and the primary key for all. */
const SETTINGS_CHANGE_KEYSET: Keyset<SettingsChange> = { columns: [{ name: 'id', kind: 'integer' }], direction: 'desc' };

export function settingsChangesPage(em: EntityManager, filter: SettingsChangeFilter, page: PageRequest): Promise<Page<SettingsChange>> {
  const where: FilterQuery<SettingsChange> = {};
  if (filter.sellerId) where.sellerId = filter.sellerId;
  if (filter.setting) where.setting = filter.setting;
  return findPage(em, SettingsChange, where, SETTINGS_CHANGE_KEYSET, page);
}
