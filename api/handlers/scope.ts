/** Object-level checks: who may see which seller's, order's or payout's data. */
import type { EntityManager } from '@mikro-orm/mysql';
import type { SettingsActor } from '../../db/audit/entities';
import { Order } from '../../db/orders/entities';
import { Payout } from '../../db/payouts/entities';
import { DomainError } from '../../domain/errors';
import type { Id } from '../../domain/id';
import { buyerMaySee } from '../../domain/payout';
import type { Principal } from '../auth';

/** Who made a change, as the settings change log records it. */
export function actorOf(principal: Principal): SettingsActor {
  return { id: principal.id, role: principal.role };
}

/** The seller a seller or sub-account acts for. */
export function sellerOf(principal: Principal): Id {
  if (!principal.sellerId) throw new DomainError('FORBIDDEN', `role ${principal.role} acts for no seller`);
  return principal.sellerId;
}

/** Another tenant's object is 404, never 403, so that existence does not leak. */
export function canSee(principal: Principal, object: { sellerId: string; buyerId: string }): boolean {
  switch (principal.role) {
    case 'seller':
    case 'sub_account':
      return object.sellerId === principal.sellerId;
    case 'buyer':
      return object.buyerId === principal.id;
    case 'auditor':
    case 'system':
      return true;
  }
}

/**
 * Whether the principal may see this payout: its parties as `canSee` says, except that the buyer
 * sees a payout that needed approval only once it is approved (SPEC §5 maker-checker).
 */
export function canSeePayout(principal: Principal, payout: Pick<Payout, 'sellerId' | 'buyerId' | 'approvalExpiresAt' | 'approvedAt'>): boolean {
  return canSee(principal, payout) && (principal.role !== 'buyer' || buyerMaySee(payout));
}

/** The payout, if `canSeePayout`; else 404. `parties: true` checks only the parties (decisions answer 409 by state). */
export async function visiblePayout(em: EntityManager, principal: Principal, payoutId: string, check: { parties?: boolean } = {}): Promise<Payout> {
  const payout = await em.findOne(Payout, { id: payoutId });
  if (!payout || !(check.parties ? canSee(principal, payout) : canSeePayout(principal, payout))) throw new DomainError('NOT_FOUND', `payout ${payoutId} not found`);
  return payout;
}

export async function visibleOrder(em: EntityManager, principal: Principal, orderId: string): Promise<Order> {
  const order = await em.findOne(Order, { orderId });
  if (!order || !canSee(principal, order)) throw new DomainError('NOT_FOUND', `order ${orderId} not found`);
  return order;
}
