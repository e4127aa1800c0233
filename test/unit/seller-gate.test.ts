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
    // p-limit starts queued work a microtask later: the first is in flight once a tick has passed.
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

  test('nonsensical bounds are refused at construction; the default queue holds a hot seller\'s burst', () => {
    expect(() => new SellerGate({ writesInFlightMax: 0 })).toThrow();
    expect(() => new SellerGate({ queuedMax: 1.5 })).toThrow();
    expect(SELLER_QUEUED_MAX).toBeGreaterThanOrEqual(1_100);
  });
});
