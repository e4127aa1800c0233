/**
 * Storing chat cards: each once under its dedupe key, in the caller's EntityManager, so that a
 * money transaction can store the cards of the moment it makes (a payout's outcome, with its
 * posting or release: issue 18, a commit fewer per payout) and a delivery step stores the rest
 * (notify/notifier.ts).
 */
import type { EntityManager } from '@mikro-orm/mysql';
import { wellFormed } from '../../domain/unicode';
import type { Statement } from '../beginless';
import { insertOnce, insertOnceStatement } from '../insert-once';
import { Notification, type NotificationKind, type RecipientRole } from './entities';

export interface Card {
  dedupeKey: string;
  recipientId: string;
  recipientRole: RecipientRole;
  kind: NotificationKind;
  payoutId: string | null;
  payload: Record<string, unknown>;
}

/**
 * Stores each card once, at `at` (the moment it tells of, which a payout's timeline shows); a card
 * stored before keeps its first row. Returns the cards' ids (their dedupe keys) for the delivery.
 */
export async function storeCards(em: EntityManager, cards: Card[], at: Date): Promise<string[]> {
  await insertOnce(em, Notification, cardRows(cards, at), ['dedupeKey']);
  return cards.map((card) => card.dedupeKey);
}

/**
 * storeCards' INSERT, for a packet of statements (db/beginless.ts `sendTogether`), with the
 * cards' ids; none when there are no cards.
 */
export function cardsStatement(em: EntityManager, cards: Card[], at: Date): { statement?: Statement; ids: string[] } {
  return { statement: insertOnceStatement(em, Notification, cardRows(cards, at), ['dedupeKey']), ids: cards.map((card) => card.dedupeKey) };
}

function cardRows(cards: Card[], at: Date) {
  // Payloads quote what clients sent (a payout's note): made well-formed, so that storing a card
  // can never fail on them and leave its activity retrying for days.
  return cards.map((card) => ({
    dedupeKey: card.dedupeKey, recipientId: card.recipientId, recipientRole: card.recipientRole, kind: card.kind, payoutId: card.payoutId,
    payload: wellFormed(card.payload), createdAt: at, deliveredAt: null, readAt: null, undeliverableAt: null,
  }));
}
