/**
 * Chat cards as their recipients read them (SPEC §8): the buyer's and the seller's lists, with an
 * `unread` filter, and marking a card read. A sub-account reads and marks its seller's cards: the
 * cards concern the seller's account, and sub-accounts work on it for the seller.
 */
import { FINANCE_RECIPIENT } from '../../activities/reconciliation-activities';
import type { Notification } from '../../db/notifications/entities';
import { mapPage } from '../../db/pagination';
import { markNotificationRead, notificationsOf, type Recipient } from '../../db/notifications/queries';
import { DomainError } from '../../domain/errors';
import { asId } from '../../domain/id';
import type { Principal } from '../auth';
import { principalOf, type Call, type Handler, type Schemas } from '../types';
import { sellerOf } from './scope';

function toNotification(n: Notification): Schemas['Notification'] {
  return { id: n.id!, kind: n.kind, payoutId: n.payoutId, payload: n.payload, createdAt: n.createdAt.toISOString(), readAt: n.readAt ? n.readAt.toISOString() : null };
}

const buyerRecipient = (principal: Principal): Recipient => ({ role: 'buyer', id: principal.id });
const sellerRecipient = (principal: Principal): Recipient => ({ role: 'seller', id: sellerOf(principal) });

export const listBuyerNotifications: Handler<'listBuyerNotifications'> = async (call) => {
  const page = await notificationsOf(call.em, buyerRecipient(principalOf(call)), call.query, call.query);
  return { status: 200, body: mapPage(page, toNotification) };
};

/**
 * The cards addressed to the auditor role (reconciliation mismatches). Read by role and the
 * auditors' shared inbox id, so that no account of another role that holds the same id sees them.
 */
export const listAuditorNotifications: Handler<'listAuditorNotifications'> = async (call) => {
  const page = await notificationsOf(call.em, { role: 'auditor', id: asId(FINANCE_RECIPIENT) }, call.query, call.query);
  return { status: 200, body: mapPage(page, toNotification) };
};

export const listSellerNotifications: Handler<'listSellerNotifications'> = async (call) => {
  const page = await notificationsOf(call.em, sellerRecipient(principalOf(call)), call.query, call.query);
  return { status: 200, body: mapPage(page, toNotification) };
};

async function markRead(call: Call<'markBuyerNotificationRead' | 'markSellerNotificationRead'>, recipient: Recipient, id: number) {
  const card = await markNotificationRead(call.em, recipient, id, call.deps.clock.now());
  if (!card) throw new DomainError('NOT_FOUND', `notification ${id} not found`);
  return { status: 200 as const, body: toNotification(card) };
}

export const markBuyerNotificationRead: Handler<'markBuyerNotificationRead'> = (call) => markRead(call, buyerRecipient(principalOf(call)), call.params.id);
export const markSellerNotificationRead: Handler<'markSellerNotificationRead'> = (call) => markRead(call, sellerRecipient(principalOf(call)), call.params.id);
