/**
 * Chat cards (旺旺卡片) for buyers and sellers (SPEC §5.2, §9): each card is stored once for its
 * recipient (the dedupe key makes a replayed activity harmless) and, when a webhook URL is
 * configured, delivered there signed with HMAC-SHA256 over `timestamp.body`. A failed delivery
 * throws, so that Temporal retries it with backoff; it never blocks the money path because the
 * workflow does not wait for it before moving money.
 */
import type { MikroORM } from '@mikro-orm/mysql';
import { createHmac } from 'node:crypto';
import { Notification, type NotificationKind, type RecipientRole } from '../db/entities';
import { insertOnce } from '../db/insert-once';
import type { Clock } from '../domain/time';
import { wellFormed } from '../domain/unicode';

export interface Card {
  dedupeKey: string;
  recipientId: string;
  recipientRole: RecipientRole;
  kind: NotificationKind;
  payoutId: string | null;
  payload: Record<string, unknown>;
}

export interface WebhookConfig {
  url: string;
  secret: string;
}

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

  /** Stores each card once, then delivers the undelivered ones to the webhook. */
  async send(cards: Card[]): Promise<void> {
    const em = this.orm.em.fork();
    const now = this.clock.now();
    // Payloads quote what clients sent (a payout's note): made well-formed, so that storing a card
    // can never fail on them and leave its activity retrying for days.
    const rows = cards.map((card) => new Notification(card.dedupeKey, card.recipientId, card.recipientRole, card.kind, card.payoutId, wellFormed(card.payload), now));
    await insertOnce(em, Notification, rows, ['dedupeKey']);
    if (!this.webhook) return;
    const stored = await em.find(Notification, { dedupeKey: { $in: cards.map((c) => c.dedupeKey) }, deliveredAt: null });
    for (const notification of stored) {
      await this.deliver(this.webhook, notification);
      notification.deliveredAt = this.clock.now();
      await em.flush();
    }
  }

  private async deliver(webhook: WebhookConfig, notification: Notification): Promise<void> {
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
        'x-payout-timestamp': timestamp,
        'x-payout-signature': `sha256=${signWebhook(webhook.secret, timestamp, body)}`,
      },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status} for ${notification.dedupeKey}`);
  }
}
