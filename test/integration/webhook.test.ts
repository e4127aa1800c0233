/**
 * SPEC §9 chat cards against a real local webhook receiver: every delivery is signed with
 * HMAC-SHA256 over `timestamp.body`, a failing receiver gets the card again (Temporal retries the
 * activity) until it takes it, and a receiver that is down holds up no money.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Notification } from '../../db/notifications/entities';
import { bearer, openMarket } from '../support/scenario';
import { eventually, startStack, type Stack } from '../support/stack';

const SECRET = 'webhook-secret-for-tests';

interface Delivery {
  raw: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/** A receiver that answers 500 to the next `failNext` deliveries, then records and accepts them. */
class Receiver {
  failNext = 0;
  readonly attempts: { id: string; status: number }[] = [];
  readonly delivered: Delivery[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as Record<string, unknown>;
      const status = this.failNext > 0 ? 500 : 204;
      if (status === 500) this.failNext -= 1;
      else this.delivered.push({ raw, body, headers: req.headers });
      this.attempts.push({ id: String(body.id), status });
      res.writeHead(status).end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/cards`;
  }

  attemptsOf(id: string) {
    return this.attempts.filter((a) => a.id === id).map((a) => a.status);
  }

  deliveryOf(id: string): Delivery | undefined {
    return this.delivered.find((d) => d.body.id === id);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a receiver does: recompute the signature over `timestamp.body` and compare in constant time. */
function verifies(delivery: Delivery, secret = SECRET): boolean {
  const timestamp = String(delivery.headers['x-payout-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${delivery.raw}`).digest('hex')}`);
  const given = Buffer.from(String(delivery.headers['x-payout-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let stack: Stack;
const receiver = new Receiver();
beforeAll(async () => {
  const url = await receiver.listen();
  stack = await startStack({ webhook: { url, secret: SECRET } });
});
afterAll(async () => {
  await stack.stop();
  await receiver.close();
});

test('the card is delivered signed, after the receiver failed twice, with every field the buyer needs', async () => {
  const market = await openMarket(stack);
  receiver.failNext = 2;
  const created = await market.createPayout({ orderId: await market.order(), amount: 1_234, reason: 'SHIPPING_FEE', note: '补运费, 谢谢 "亲"' }).expect(201);
  const cardId = `sent:${created.body.id}`;
  const delivery = await eventually(async () => receiver.deliveryOf(cardId), 30_000);
  expect(receiver.attemptsOf(cardId)).toEqual([500, 500, 204]);
  expect(verifies(delivery)).toBe(true);
  expect(verifies(delivery, 'another-secret')).toBe(false);
  expect(verifies({ ...delivery, raw: delivery.raw.replace('1234', '9999') })).toBe(false);
  expect(Math.abs(Number(delivery.headers['x-payout-timestamp']) * 1000 - Date.now())).toBeLessThan(60_000);
  expect(delivery.headers['content-type']).toBe('application/json');
  expect(delivery.body).toEqual({
    id: cardId,
    kind: 'PAYOUT_SENT',
    recipientId: market.buyerId,
    recipientRole: 'buyer',
    payoutId: created.body.id,
    sellerId: market.sellerId,
    orderId: created.body.orderId,
    amount: 1_234,
    amountYuan: '12.34',
    reason: 'SHIPPING_FEE',
    note: '补运费, 谢谢 "亲"',
    deadline: created.body.expiresAt,
    confirmLink: `/pay/${created.body.id}`,
  });
  const stored = await eventually(async () => (await stack.orm.em.fork().findOne(Notification, { dedupeKey: cardId, deliveredAt: { $ne: null } })));
  expect(stored.recipientId).toBe(market.buyerId);
});

test('a receiver that is down holds up no money; the card waits in the buyer\'s list and goes out when it recovers', async () => {
  const market = await openMarket(stack);
  receiver.failNext = Number.MAX_SAFE_INTEGER;
  const created = await market.createPayout({ orderId: await market.order(), amount: 500 }).expect(201);
  const cardId = `sent:${created.body.id}`;
  // Stored before the delivery is tried, so the buyer sees it whatever the receiver does.
  const listed = await eventually(async () => {
    const res = await stack.http.get('/v1/buyer/notifications').set(bearer(market.buyer)).expect(200);
    return res.body.items.length > 0 && res.body.items;
  });
  expect(listed).toEqual([expect.objectContaining({ kind: 'PAYOUT_SENT', payoutId: created.body.id })]);
  await stack.http.post(`/v1/payouts/${created.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
  await eventually(async () => (await stack.http.get(`/v1/payouts/${created.body.id}`).set(bearer(market.seller))).body.status === 'PAID');
  await eventually(async () => receiver.attemptsOf(cardId).length >= 2);
  expect(receiver.deliveryOf(cardId)).toBeUndefined();

  receiver.failNext = 0;
  const sent = await eventually(async () => receiver.deliveryOf(cardId), 30_000);
  const outcome = await eventually(async () => receiver.deliveryOf(`outcome:${created.body.id}:seller`), 30_000);
  expect(verifies(sent) && verifies(outcome)).toBe(true);
  expect(outcome.body).toMatchObject({ kind: 'PAYOUT_OUTCOME', recipientId: market.sellerId, recipientRole: 'seller', status: 'PAID', amount: 500 });
});
