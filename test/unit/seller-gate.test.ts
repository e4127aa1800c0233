/** The per-seller bound on requests in flight (api/seller-gate.ts), without HTTP. */
import { SellerGate, SELLER_QUEUED_MAX } from '../../api/seller-gate';

/** A piece of work that stays in flight until released. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { release, work: () => done };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SellerGate', () => {
  test("a seller past its bound queues; another seller's request runs at once", async () => {
    const gate = new SellerGate({ writesInFlightMax: 2, readsInFlightMax: 1, queuedMax: 10 });
    const x = held();
    const started: string[] = [];
    const xRuns = [1, 2, 3].map((n) => gate.run('seller-x', 'write', async () => { started.push(`x${n}`); await x.work(); }));
    const yRun = gate.run('seller-y', 'write', async () => { started.push('y'); });
    await tick();
    expect(started).toEqual(['x1', 'x2', 'y']);
    await yRun;
    x.release();
    await Promise.all(xRuns);
    expect(started).toEqual(['x1', 'x2', 'y', 'x3']);
  });

  test("reads and writes have their own bounds: a seller's burst of writes does not hold its reads", async () => {
    const gate = new SellerGate({ writesInFlightMax: 1, readsInFlightMax: 1, queuedMax: 10 });
    const x = held();
    const write = gate.run('seller-x', 'write', x.work);
    await expect(gate.run('seller-x', 'read', async () => 'read')).resolves.toBe('read');
    x.release();
    await write;
  });

  test('past its queue bound a seller is refused RATE_LIMITED with a retry time', async () => {
    const gate = new SellerGate({ writesInFlightMax: 1, readsInFlightMax: 1, queuedMax: 2 });
    const x = held();
    const accepted = [gate.run('seller-x', 'write', x.work)];
    await tick();
    accepted.push(gate.run('seller-x', 'write', x.work), gate.run('seller-x', 'write', x.work));
    await expect(gate.run('seller-x', 'write', x.work)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } });
    x.release();
    await Promise.all(accepted);
  });

  test('a failing request frees its slot', async () => {
    const gate = new SellerGate({ writesInFlightMax: 1, readsInFlightMax: 1, queuedMax: 10 });
    await expect(gate.run('seller-x', 'write', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(gate.run('seller-x', 'write', async () => 'next')).resolves.toBe('next');
  });

  test('a seller alone keeps its bound; while another seller writes each keeps the shared one, until a window after the other\'s last write', async () => {
    let nowMs = 0;
    const gate = new SellerGate({ writesInFlightMax: 4, writesInFlightShared: 2, contendedForMs: 1_000, now: () => nowMs });
    const started: string[] = [];
    const holds = new Map<string, ReturnType<typeof held>>();
    const run = (seller: string, name: string) => {
      const hold = held();
      holds.set(name, hold);
      return gate.run(seller, 'write', async () => { started.push(name); await hold.work(); });
    };
    const end = async (name: string, running: Promise<void>) => {
      holds.get(name)!.release();
      await running;
      await tick();
    };
    const x = [1, 2, 3].map((n) => run('seller-x', `x${n}`));
    expect(started).toEqual(['x1', 'x2', 'x3']);
    // y starts at once; x, over the shared bound now, waits with its fourth.
    const y = run('seller-y', 'y');
    x.push(run('seller-x', 'x4'));
    await tick();
    expect(started).toEqual(['x1', 'x2', 'x3', 'y']);
    // Within the window after y's last write x keeps the shared bound: x4 starts once only one of x's is in flight.
    await end('y', y);
    await end('x1', x[0]);
    expect(started).toEqual(['x1', 'x2', 'x3', 'y']);
    await end('x2', x[1]);
    expect(started).toEqual(['x1', 'x2', 'x3', 'y', 'x4']);
    x.push(run('seller-x', 'x5'), run('seller-x', 'x6'));
    await tick();
    expect(started).toEqual(['x1', 'x2', 'x3', 'y', 'x4']);
    // Past the window x is alone again: its next end starts what waits, up to its own bound.
    nowMs = 1_001;
    await end('x3', x[2]);
    expect(started).toEqual(['x1', 'x2', 'x3', 'y', 'x4', 'x5', 'x6']);
    for (const name of ['x4', 'x5', 'x6']) holds.get(name)!.release();
    await Promise.all(x);
    expect(gate.size).toBe(0);
  });

  test('nonsensical bounds are refused at construction; the default queue holds a hot seller\'s burst', () => {
    expect(() => new SellerGate({ writesInFlightMax: 0 })).toThrow();
    expect(() => new SellerGate({ queuedMax: 1.5 })).toThrow();
    expect(() => new SellerGate({ writesInFlightShared: 0 })).toThrow();
    expect(() => new SellerGate({ contendedForMs: -1 })).toThrow();
    expect(SELLER_QUEUED_MAX).toBeGreaterThanOrEqual(1_100);
  });
});
