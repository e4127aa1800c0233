/**
 * The recorded histories the replay test (replay.test.ts) runs against today's workflow code: one
 * per end state of each workflow, recorded from the real stack by record-histories.ts
 * (`npm run record:histories`). Their payloads are encrypted with the test key `test-1`
 * (test/support/payload-keys.ts), so they replay through the same data converter as production.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * Every history the replay test expects, by file name (without `.json`). A name removed here or a
 * file deleted fails the test, so a history is dropped only on purpose (its code path retired and
 * no run of it can still be open or replayed).
 */
export const RECORDED_HISTORIES = [
  'payout-paid',
  'payout-failed-transfer-refused',
  'payout-expired-after-reminder',
  'payout-declined',
  'payout-cancelled-by-seller',
  'payout-cancelled-order-changed',
  'payout-refused-insufficient-reserve',
  'payout-confirmed-by-fallback-signal',
  'payout-approved-paid',
  'payout-rejected',
  'payout-rejected-approval-expired',
  'payout-cancelled-pending-approval',
  'payout-paid-after-auto-top-up',
  'payout-paid-cards-in-line',
  'payout-expired-cards-in-line',
  'payout-paid-by-activity',
  'payout-expired-by-activity',
  'payout-rejected-approval-expired-by-activity',
  'payout-paid-cards-with-money',
  'payout-expired-cards-with-money',
  'top-up-done',
  'top-up-skipped-daily-max',
  'top-up-refused',
  'reconciliation-clean',
  'reconciliation-mismatch',
  'archive-sweep',
  'card-delivery',
  'recharge-done',
  'recharge-refused',
  'withdrawal-done-low-balance',
  'withdrawal-refused-voided',
  'withdrawal-refused-insufficient-reserve',
] as const;

export type RecordedHistory = (typeof RECORDED_HISTORIES)[number];

export function historyFile(name: string): string {
  return path.join(HISTORIES_DIR, `${name}.json`);
}

export function loadHistory(name: string): temporal.api.history.v1.IHistory {
  return historyFromJSON(JSON.parse(readFileSync(historyFile(name), 'utf8')));
}
