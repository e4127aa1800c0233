/** Read side of the cards: a recipient's cards, newest first, and marking one read. */
import type { EntityManager, FilterQuery } from '@mikro-orm/mysql';
import type { Id } from '../../domain/id';
import { findPage, type Keyset, type Page, type PageRequest } from '../pagination';
import { Notification, type RecipientRole } from './entities';

/** Whose cards: the role and the account, so that a buyer and a seller with the same id never meet. */
export interface Recipient {
  role: RecipientRole;
  id: Id;
}

/** Cards are listed newest first, on the (recipient_role, recipient_id, id) index. */
const NOTIFICATION_KEYSET: Keyset<Notification> = { columns: [{ name: 'id', kind: 'integer' }], direction: 'desc' };

/**
 * The recipient's cards, newest first; `unread` true keeps those not yet read, false those read.
 * Every read of cards goes through here or `markNotificationRead`, so that the recipient filter
 * lives in one place.
 */
export function notificationsOf(em: EntityManager, recipient: Recipient, filter: { unread?: boolean }, page: PageRequest): Promise<Page<Notification>> {
  const where: FilterQuery<Notification> = { recipientId: recipient.id, recipientRole: recipient.role };
  if (filter.unread !== undefined) where.readAt = filter.unread ? null : { $ne: null };
  return findPage(em, Notification, where, NOTIFICATION_KEYSET, page);
}

/**
 * Marks the recipient's card read, once: a repeated call keeps the first time. Null when the card
 * is not the recipient's (or does not exist), so that another's card is 404 like a missing one.
 */
export async function markNotificationRead(em: EntityManager, recipient: Recipient, id: number, now: Date): Promise<Notification | null> {
  const mine = { id, recipientId: recipient.id, recipientRole: recipient.role };
  await em.nativeUpdate(Notification, { ...mine, readAt: null }, { readAt: now });
  return em.findOne(Notification, mine, { refresh: true });
}
