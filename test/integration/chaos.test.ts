/**
 * The fault run, small: 50 payouts with a random mix of decisions and expiries, and sellers'
 * recharges and withdrawals beside them, while a worker and the API (as a withdrawal goes out) are
 * SIGKILLed and replaced, every worker is down for a window, the provider fails, slows down and
 * times out after moving money for a burst, the webhook receiver is down and then flaps, and the
 * trade system closes or refunds orders under open payouts. (`npm run chaos` adds restarts of
 * Temporal and MariaDB and runs longer.) The windows are shortened so that the run stays near a minute.
 */
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CHAOS, checks, runChaos } from '../../chaos/chaos';

test('50 payouts and withdrawals through worker and API kills, outages, provider faults, a webhook outage and order changes: all end, nothing lost or paid twice', async () => {
  const report = await runChaos({
    ...DEFAULT_CHAOS,
    payouts: 50,
    concurrency: 16,
    workers: 2,
    confirmWindowS: 8,
    workerKillEveryMs: 3_000,
    workerKillsMax: 1,
    apiKillEveryMs: 5_000,
    apiKillsMax: 1,
    restartTemporal: false,
    restartDatabase: false,
    faults: { failRate: 0.3, latencyMs: 10, timeoutAfterMoveRate: 0.1 },
    faultBurstMs: 6_000,
    // A fifth of the orders each, so that 50 payouts hold a few of both.
    orderCloseRate: 0.2,
    orderRefundRate: 0.2,
    allWorkersDownMs: 6_000,
    allWorkersDownAtShare: 0.3,
    // Past the card retries' 30 s spacing and a 15 s attempt cut short by a kill, with room for a busy machine.
    cardDrainMs: 90_000,
    timeLimitMs: 4 * 60_000,
    dataDir: path.join(os.tmpdir(), `payouts-chaos-${process.pid}`),
    external: { databaseServerUrl: process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306', temporalAddress: process.env.TEST_TEMPORAL_ADDRESS! },
    log: () => undefined,
  });
  // On a failure, the report says what went wrong.
  if (!Object.values(checks(report)).every(Boolean)) console.error(JSON.stringify(report));
  expect({ checks: checks(report), report }).toMatchObject({ checks: Object.fromEntries(Object.keys(checks(report)).map((k) => [k, true])) });
  expect(report).toMatchObject({
    payouts: 50,
    created: 50,
    terminal: 50,
    doubleTransfers: 0,
    moneyMovedWithoutPayout: 0,
    paidAfterOrderClosed: 0,
    lostConfirmations: 0,
    lostDecisions: 0,
    cardsUndeliveredAfterRecovery: 0,
    ledgerBalanced: true,
    providerMatchesLedger: true,
    problems: [],
  });
  expect(report.faults.workerKills).toBe(1);
  expect(report.faults).toMatchObject({ apiKills: 1, apiKillsDuringWithdrawal: 1 });
  expect(report.withdrawals).toMatchObject({ unanswered: 0, otherAnswers: [], problems: [] });
  expect(report.withdrawals.paid).toBeGreaterThan(0);
  expect(report.withdrawals.refusedBeyondAvailable).toBeGreaterThan(0);
  expect(report.faults.allWorkersDownS).toBeGreaterThanOrEqual(6);
  expect(report.faults.webhookDownS).toBeGreaterThan(0);
  expect(report.faults.ordersClosed + report.faults.ordersRefunded).toBeGreaterThan(0);
}, 300_000);
