/**
 * Chat cards (旺旺卡片) for buyers and sellers (SPEC §5.2, §9): each card is stored once for its
 * recipient (the dedupe key makes a replayed activity harmless) and, when a webhook URL is
 * configured, delivered there signed with HMAC-SHA256 over `timestamp.body`, with the card's id in
 * `x-payout-card-id` so that a receiver drops a repeat. Storing and delivering are separate steps
 * (SPEC §5 "The edges"): what moves money only stores; delivery runs in its own activity, which
 * throws on failure so that Temporal retries it with backoff, and a card still undelivered when its
 * retries end is kept and marked for an operator.
 */
import type { MikroORM } from '@mikro-orm/mysql';
import { createHmac } from 'node:crypto';
import { Notification } from '../db/notifications/entities';
import { storeCards, type Card } from '../db/notifications/cards';
import type { Clock } from '../domain/time';

export interface WebhookConfig {
  url: string;
  secret: string;
}

/** Bound on the cards one delivery takes (a payout's moment makes at most three). */
export const CARD_IDS_MAX = 20;

/** Bound on one delivery attempt; Temporal retries past it. */
const WEBHOOK_TIMEOUT_MS = 5_000;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export class Notifier {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    private readonly webhook: WebhookConfig | undefined,
  ) {}

  /**
   * Stores each card once; returns the cards' ids (their dedupe keys) for the delivery. `at` is the
   * cards' moment when the caller has one (a payout workflow's time, which its timeline shows:
   * db/payouts/queries.ts `payoutWithTimeline`); otherwise now.
   */
  async store(cards: Card[], at?: Date): Promise<string[]> {
    return storeCards(this.orm.em.fork(), cards, at ?? this.clock.now());
  }

  /**
   * Delivers the stored, undelivered cards among `ids` (an id never stored is skipped) and marks
   * each delivered; throws when any delivery failed, after trying every card, so that a retry
   * repeats only the ones not yet taken.
   */
  async deliver(ids: string[]): Promise<void> {
    if (!this.webhook || ids.length === 0) return;
    const em = this.orm.em.fork();
    const stored = await em.find(Notification, { dedupeKey: { $in: ids.slice(0, CARD_IDS_MAX) }, deliveredAt: null }, { disableIdentityMap: true });
    const failures: string[] = [];
    const taken: string[] = [];
    for (const notification of stored) {
      try {
        await this.post(this.webhook, notification);
        taken.push(notification.dedupeKey);
      } catch (err) {
        failures.push(`${notification.dedupeKey}: ${String((err as Error)?.message ?? err)}`);
      }
    }
    // Issue 18: the cards taken are marked in one UPDATE, not one flush (BEGIN, UPDATE, COMMIT) each.
    // A crash before it delivers them again on the retry, which the receiver drops by the card's id.
    if (taken.length > 0) await em.nativeUpdate(Notification, { dedupeKey: { $in: taken }, deliveredAt: null }, { deliveredAt: this.clock.now() });
    if (failures.length > 0) throw new Error(`cards not delivered: ${failures.join('; ')}`);
  }

  /** Stores the cards and delivers them in one call: for the paths where no money waits on it. */
  async send(cards: Card[]): Promise<void> {
    await this.deliver(await this.store(cards));
  }

  /**
   * The delivery's retries ended: the cards stay stored (and in the recipients' lists), marked
   * undeliverable for an operator and counted in `/metrics`; returns how many were marked now.
   */
  async markUndeliverable(ids: string[]): Promise<number> {
    return this.orm.em.fork().nativeUpdate(Notification, { dedupeKey: { $in: ids.slice(0, CARD_IDS_MAX) }, deliveredAt: null, undeliverableAt: null }, { undeliverableAt: this.clock.now() });
  }

  private async post(webhook: WebhookConfig, notification: Notification): Promise<void> {
    const body = JSON.stringify({
      id: notification.dedupeKey,
      kind: notification.kind,
      recipientId: notification.recipientId,
      recipientRole: notification.recipientRole,
      ...notification.payload,
    });
    const timestamp = Math.floor(this.clock.now().getTime() / 1000).toString();
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-payout-card-id': notification.dedupeKey,
        'x-payout-timestamp': timestamp,
        'x-payout-signature': `sha256=${signWebhook(webhook.secret, timestamp, body)}`,
      },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    // The answer's body is not read: cancelled, so that fetch (undici) hands its connection back to
    // the pool now rather than when the collector finds the response.
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook answered ${response.status} for ${notification.dedupeKey}`);
  }
}
