/**
 * `npm run chaos -- --payouts N [--concurrency C] [--workers W] [--window S] [--time-limit-min M]
 *  [--all-workers-down-s S]`
 * Everything runs on 127.0.0.1 in its own MariaDB instance, Temporal dev server, webhook receiver
 * and processes, under .data/chaos/, and stops by itself. The last line of output is the report as
 * one JSON object; the exit code is 0 only when every check holds.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CHAOS, checks, runChaos } from './chaos';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      payouts: { type: 'string' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      window: { type: 'string' },
      'time-limit-min': { type: 'string' },
      'all-workers-down-s': { type: 'string' },
    },
  });
  const number = (text: string | undefined, fallback: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`not a positive integer: ${text}`);
    return value;
  };
  const report = await runChaos({
    ...DEFAULT_CHAOS,
    payouts: number(values.payouts, DEFAULT_CHAOS.payouts),
    concurrency: number(values.concurrency, DEFAULT_CHAOS.concurrency),
    workers: number(values.workers, DEFAULT_CHAOS.workers),
    confirmWindowS: number(values.window, DEFAULT_CHAOS.confirmWindowS),
    timeLimitMs: number(values['time-limit-min'], DEFAULT_CHAOS.timeLimitMs / 60_000) * 60_000,
    allWorkersDownMs: number(values['all-workers-down-s'], DEFAULT_CHAOS.allWorkersDownMs / 1_000) * 1_000,
    dataDir: path.join(__dirname, '..', '.data', 'chaos'),
    log: (line) => console.error(line),
  });
  const verdicts = checks(report);
  console.error(`chaos: checks ${JSON.stringify(verdicts)}`);
  console.log(JSON.stringify({ ...report, checks: verdicts }));
  process.exit(Object.values(verdicts).every(Boolean) ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
