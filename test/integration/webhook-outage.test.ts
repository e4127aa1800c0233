/**
 * SPEC §5 "The edges", notifications never hold money back: with the webhook receiver down for the
 * whole of the money's part of the test (connections refused), every answer and every status is
 * what it is with a receiver up; once the receiver comes back, each card stored meanwhile is
 * delivered to it exactly once, with its id in `x-payout-card-id`. Cards whose retries ended are
 * kept and counted in `/metrics`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Notification } from '../../db/notifications/entities';
import { Notifier } from '../../notify/notifier';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

const SECRET = 'outage-secret';

/** A port nothing listens on yet: connections to it are refused until the receiver starts. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let stack: Stack;
let port: number;
const received: string[] = [];
const receiver = http.createServer((req, res) => {
  received.push(String(req.headers['x-payout-card-id']));
  req.resume().on('end', () => res.writeHead(204).end());
});

beforeAll(async () => {
  port = await freePort();
  stack = await startStack({ webhook: { url: `http://127.0.0.1:${port}/cards`, secret: SECRET } });
});
afterAll(async () => {
  await stack.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function settled(market: Market, id: string, status: string) {
  return eventually(async () => {
    const res = await stack.http.get(`/v1/payouts/${id}`).set(bearer(market.seller)).expect(200);
    return res.body.status === status ? res.body : undefined;
  });
}

test('a receiver down changes no answer and no status; each card goes out exactly once when it is back', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(market.seller)).send({ threshold: 8_000 }).expect(200);

  const tooBig = await market.createPayout({ orderId: await market.order({ totalAmount: 30_000, cashPaid: 30_000, nonCashPaid: 0 }), amount: 12_000 }).expect(422);
  expect(tooBig.body.error.code).toBe('INSUFFICIENT_RESERVE');
  // This hold takes available from 10,000 to 7,000, below the threshold: the low-balance card.
  const crossing = await market.createPayout({ orderId: await market.order(), amount: 3_000 }).expect(201);
  const declined = await market.createPayout({ orderId: await market.order(), amount: 1_000 }).expect(201);
  const cancelled = await market.createPayout({ orderId: await market.order(), amount: 1_000 }).expect(201);

  const confirm = await stack.http.post(`/v1/payouts/${crossing.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
  expect(['CONFIRMED', 'PAID']).toContain(confirm.body.status);
  await stack.http.post(`/v1/payouts/${declined.body.id}/decline`).set(bearer(market.buyer)).expect(200);
  await stack.http.post(`/v1/payouts/${cancelled.body.id}/cancel`).set(bearer(market.seller)).expect(200);
  await settled(market, crossing.body.id, 'PAID');
  await settled(market, declined.body.id, 'DECLINED');
  await settled(market, cancelled.body.id, 'CANCELLED');
  expect((await market.account()).balance).toEqual({ available: 7_000, held: 0 });

  // Every card is stored, none delivered: the receiver has refused every connection so far. The
  // seller's two LOW_BALANCE cards are the hold's crossing and the refusal's (whose payout id the
  // 422 does not name).
  const ids = [
    `low-balance:hold:${crossing.body.id}`,
    ...[crossing, declined, cancelled].flatMap(({ body }) => [`sent:${body.id}`, `outcome:${body.id}:buyer`, `outcome:${body.id}:seller`]),
  ];
  const stored = await eventually(async () => {
    const rows = await stack.orm.em.fork().find(Notification, { $or: [{ dedupeKey: { $in: ids } }, { recipientId: market.sellerId, kind: 'LOW_BALANCE' }] });
    return rows.length === ids.length + 1 ? rows : undefined;
  });
  expect(stored.every((card) => card.deliveredAt === null)).toBe(true);
  expect(received).toEqual([]);

  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  const all = stored.map((card) => card.dedupeKey);
  await eventually(async () => all.every((id) => received.includes(id)), 60_000);
  // A little longer, to see that no retry sends a card a second time.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  for (const id of all) expect(received.filter((r) => r === id)).toHaveLength(1);
  const delivered = await stack.orm.em.fork().find(Notification, { dedupeKey: { $in: all } });
  expect(delivered.every((card) => card.deliveredAt !== null)).toBe(true);
});

test('a card whose retries ended is kept, marked and counted in /metrics', async () => {
  const notifier = new Notifier(stack.orm, { now: () => new Date() }, undefined);
  const [id] = await notifier.store([{ dedupeKey: uniqueId('card'), recipientId: uniqueId('seller'), recipientRole: 'seller', kind: 'LOW_BALANCE', payoutId: null, payload: {} }]);
  expect(await notifier.markUndeliverable([id])).toBe(1);
  const metrics = await stack.http.get('/metrics').expect(200);
  const count = Number(/^cards_undeliverable (\d+)$/m.exec(metrics.text)?.[1]);
  expect(count).toBeGreaterThanOrEqual(1);
  expect(await stack.orm.em.fork().findOne(Notification, { dedupeKey: id })).toMatchObject({ deliveredAt: null });
});
