/**
 * The lifecycle benchmark reads both doors on a cadence both keep (bench/drive.ts, keptCadenceMs):
 * the slower door's warm-up read p95, in steps of 50 ms, between the floor and a second.
 */
import { keptCadenceMs } from '../../bench/drive';

describe('keptCadenceMs', () => {
  it('is the floor while both doors answer within it', () => {
    expect(keptCadenceMs(50, [22.5, 41])).toBe(50);
    expect(keptCadenceMs(50, [])).toBe(50);
  });

  it("rounds the slower door's p95 up to the next 50 ms", () => {
    expect(keptCadenceMs(50, [95.1, 250.3])).toBe(300);
    expect(keptCadenceMs(50, [250, 80])).toBe(250);
    expect(keptCadenceMs(50, [50.1, 10])).toBe(100);
  });

  it('keeps a floor above the reads, and reads at least once a second', () => {
    expect(keptCadenceMs(400, [120, 90])).toBe(400);
    expect(keptCadenceMs(50, [4_800, 90])).toBe(1_000);
  });
});
