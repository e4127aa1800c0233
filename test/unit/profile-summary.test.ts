/**
 * The benchmark's reading of CPU profiles (bench/profile-summary.ts): which code a sample is
 * charged to, and which samples a run's measured blocks hold.
 */
import path from 'node:path';
import { chargeByOwner, ownerOf } from '../../bench/profile-summary';

const ROOT = path.join(__dirname, '..', '..');

describe('ownerOf', () => {
  it.each([
    ['query', 'file:///srv/app/node_modules/mysql2/lib/connection.js', 'mysql2'],
    ['find', 'file:///srv/app/node_modules/@mikro-orm/core/EntityManager.js', '@mikro-orm/core'],
    ['handle', `file://${ROOT}/api/app.ts`, 'ours: api'],
    ['payoutWorkflow', '/tmp/run/workflow-bundle.js', 'workflow bundle'],
    ['(garbage collector)', '', 'gc'],
    ['(program)', '', 'program'],
  ])('charges %s at "%s" to %s', (functionName, url, row) => {
    expect(ownerOf({ functionName, url })).toBe(row);
  });

  it("leaves Node's own frames and native ones to their caller", () => {
    expect(ownerOf({ functionName: 'writeGeneric', url: 'node:internal/stream_base_commons' })).toBeUndefined();
    expect(ownerOf({ functionName: 'writeBuffer', url: '' })).toBeUndefined();
  });
});

describe('chargeByOwner', () => {
  // root → mysql2's query → node:net's write → the native writeBuffer; and the collector on its own.
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 5, 6] },
      { id: 2, callFrame: { functionName: 'query', url: 'file:///a/node_modules/mysql2/lib/connection.js' }, children: [3] },
      { id: 3, callFrame: { functionName: 'write', url: 'node:net' }, children: [4] },
      { id: 4, callFrame: { functionName: 'writeBuffer', url: '' } },
      { id: 5, callFrame: { functionName: '(garbage collector)', url: '' } },
      { id: 6, callFrame: { functionName: '(idle)', url: '' } },
    ],
    startTime: 1_000,
    // Samples at 1,100 (the write), 1,300 (gc), 1,600 (idle), 2,000 (query itself).
    samples: [4, 5, 6, 2],
    timeDeltas: [100, 200, 300, 400],
  };

  it("charges a native write to the package that made it, and leaves idle time out", () => {
    expect(Object.fromEntries(chargeByOwner(profile))).toEqual({ mysql2: 0.5, gc: 0.2 });
  });

  it('counts only the samples inside the windows', () => {
    const windows = [{ startUs: 1_050, endUs: 1_200, lifecycles: 1 }, { startUs: 1_900, endUs: 2_100, lifecycles: 1 }];
    expect(Object.fromEntries(chargeByOwner(profile, windows))).toEqual({ mysql2: 0.5 });
  });
});
