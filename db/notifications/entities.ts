/** Chat cards, stored per recipient before they are delivered (notify/notifier.ts). */
import type { InferEntity } from '@mikro-orm/core';
import { id, orNull, p, serial, table, time } from '../columns';

export type NotificationKind = 'PAYOUT_SENT' | 'PAYOUT_REMINDER' | 'PAYOUT_OUTCOME' | 'LOW_BALANCE' | 'RECONCILIATION_MISMATCH' | 'APPROVAL_REQUESTED'
  | 'AUTO_TOP_UP_DONE' | 'AUTO_TOP_UP_DAILY_MAX_REACHED' | 'AUTO_TOP_UP_REFUSED';
/** Buyers and sellers get payout cards; finance auditors get reconciliation cards. */
export type RecipientRole = 'buyer' | 'seller' | 'auditor';

export const Notification = table('Notification', 'notifications', {
  id: serial(),
  dedupeKey: p.string(),
  recipientId: id(),
  recipientRole: p.string().$type<RecipientRole>(),
  kind: p.string().$type<NotificationKind>(),
  payoutId: orNull(id()),
  payload: p.json<Record<string, unknown>>(),
  createdAt: time(),
  deliveredAt: orNull(time()),
  /** When the recipient (or, for a seller, one of its sub-accounts) marked the card read. */
  readAt: orNull(time()),
  /** Set when the delivery's retries ended without the webhook taking the card. */
  undeliverableAt: orNull(time()),
});
export type Notification = InferEntity<typeof Notification>;

export const NOTIFICATION_ENTITIES = [Notification];
