/**
 * The chat webhook's receiver during a fault run, on 127.0.0.1: down (connections refused) for the
 * first half of the load, then flapping — up and down every few seconds, and answering 503 to some
 * cards while up — until the load ends; then up for good, so that every card must arrive.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** While flapping, each phase (up or down) lasts this long, at random in between. */
const FLAP_MS_MIN = 1_000;
const FLAP_MS_MAX = 4_000;
/** While flapping and up, this share of cards is answered 503 (a receiver failing, not down). */
const FLAP_FAIL_RATE = 0.2;

export class WebhookReceiver {
  private server: http.Server | undefined;
  private downSince: number | null = Date.now();
  private failRate = 0;
  /** Cards taken (2xx), by card id: a count above one is a repeat the receiver drops. */
  readonly taken = new Map<string, number>();
  downMs = 0;
  flaps = 0;

  private constructor(readonly port: number) {}

  /** Reserves a port and stays down: every delivery is refused until `up()`. */
  static async reserve(): Promise<WebhookReceiver> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return new WebhookReceiver(port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/cards`;
  }

  get downS(): number {
    return Math.round((this.downMs + (this.downSince === null ? 0 : Date.now() - this.downSince)) / 100) / 10;
  }

  get cardsTakenTwice(): number {
    return [...this.taken.values()].filter((n) => n > 1).length;
  }

  async up(failRate = 0): Promise<void> {
    this.failRate = failRate;
    if (this.server) return;
    const server = http.createServer((req, res) => {
      const failing = Math.random() < this.failRate;
      req.resume().on('end', () => {
        if (failing) return void res.writeHead(503).end();
        const id = String(req.headers['x-payout-card-id']);
        this.taken.set(id, (this.taken.get(id) ?? 0) + 1);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.server = server;
    if (this.downSince !== null) this.downMs += Date.now() - this.downSince;
    this.downSince = null;
  }

  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.downSince = Date.now();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Up and down at random until `until()` is true; the receiver is left up. */
  async flap(until: () => boolean): Promise<void> {
    let up = false;
    while (!until()) {
      up = !up;
      this.flaps++;
      await (up ? this.up(FLAP_FAIL_RATE) : this.down());
      const phaseEnd = Date.now() + FLAP_MS_MIN + Math.random() * (FLAP_MS_MAX - FLAP_MS_MIN);
      while (!until() && Date.now() < phaseEnd) await sleep(100);
    }
    await this.up(0);
  }
}
