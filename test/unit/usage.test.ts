/**
 * The benchmark's /proc readings (bench/usage.ts): a process's CPU split by thread adds up to the
 * process's own, and work on the main thread is charged to it.
 */
import { UsageMeter } from '../../bench/usage';

describe('UsageMeter split by thread', () => {
  it("charges this process's busy main thread to it, and the parts add up to the whole", async () => {
    const { usage } = await new UsageMeter({ self: process.pid }, ['self']).measure(async () => {
      // 300 ms of this process's CPU (its main thread's, as nothing else here works), however busy the machine is (a wall-clock bound in case it never gets them).
      const start = process.cpuUsage();
      const giveUpAt = Date.now() + 10_000;
      while (process.cpuUsage(start).user < 300_000 && Date.now() < giveUpAt) Math.sqrt(Math.random());
    });
    const split = usage.threadCpuMs!.self;
    // /proc counts in ticks of 10 ms.
    expect(split.mainThread).toBeGreaterThanOrEqual(250);
    expect(split.mainThread + split.rustCore + split.otherThreads + split.shortLived).toBeGreaterThanOrEqual(usage.cpuMs.self - 20);
    expect(split.mainThread).toBeLessThanOrEqual(usage.cpuMs.self + 10);
  });
});
