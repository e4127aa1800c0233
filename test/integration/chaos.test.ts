/**
 * The fault run, small: 50 payouts with a random mix of decisions and expiries while a worker is
 * SIGKILLed and replaced and the provider fails, slows down and times out after moving money for
 * a burst. (`npm run chaos` adds restarts of Temporal and MariaDB and runs longer.)
 */
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CHAOS, runChaos } from '../../chaos/chaos';

test('50 payouts through a worker kill and a provider fault burst: all end, nothing lost or paid twice', async () => {
  const report = await runChaos({
    ...DEFAULT_CHAOS,
    payouts: 50,
    concurrency: 16,
    workers: 2,
    confirmWindowS: 8,
    workerKillEveryMs: 3_000,
    workerKillsMax: 1,
    restartTemporal: false,
    restartDatabase: false,
    faults: { failRate: 0.3, latencyMs: 10, timeoutAfterMoveRate: 0.1 },
    faultBurstMs: 6_000,
    timeLimitMs: 4 * 60_000,
    dataDir: path.join(os.tmpdir(), `payouts-chaos-${process.pid}`),
    external: { databaseServerUrl: process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306', temporalAddress: process.env.TEST_TEMPORAL_ADDRESS! },
    log: () => undefined,
  });
  expect(report).toMatchObject({
    payouts: 50,
    created: 50,
    terminal: 50,
    doubleTransfers: 0,
    moneyMovedWithoutPayout: 0,
    lostConfirmations: 0,
    lostDecisions: 0,
    ledgerBalanced: true,
    providerMatchesLedger: true,
    problems: [],
  });
  expect(report.faults.workerKills).toBe(1);
}, 300_000);
