/** Prometheus metrics of the API process (`GET /metrics`). */
import type { MikroORM } from '@mikro-orm/mysql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Notification } from '../db/notifications/entities';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by operation and status',
    labelNames: ['operation', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by operation',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * SPEC §5 "The edges": cards whose delivery retries ended without the webhook taking them, kept
   * for an operator. Read from the database at each scrape, so every API process reports the same.
   */
  countUndeliverableCards(orm: MikroORM): void {
    new Gauge({
      name: 'cards_undeliverable',
      help: 'Cards still undelivered after their delivery retries ended (kept for an operator)',
      registers: [this.registry],
      async collect() {
        this.set(await orm.em.fork().count(Notification, { undeliverableAt: { $ne: null }, deliveredAt: null }));
      },
    });
  }
}
