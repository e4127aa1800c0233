/**
 * `npm run chaos -- --payouts N [--concurrency C] [--workers W] [--window S] [--time-limit-min M]
 *  [--all-workers-down-s S] [--api-kill-every-s S]`
 * Everything runs on 127.0.0.1 in its own MariaDB instance, Temporal dev server, webhook receiver
 * and processes, under .data/chaos/, and stops by itself: at `--time-limit-min` (45 by default) no
 * payout is started and no wait goes on, and the checks that need more time fail. The last line of
 * output is the report as one JSON object; the exit code is 0 only when every check holds.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CHAOS, checks, runChaos } from './chaos';

/** After the time limit, the run has this long to verify and stop its processes before it is ended. */
const CLEAN_UP_MS_MAX = 3 * 60_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      payouts: { type: 'string' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      window: { type: 'string' },
      'time-limit-min': { type: 'string' },
      'all-workers-down-s': { type: 'string' },
      'api-kill-every-s': { type: 'string' },
    },
  });
  const number = (text: string | undefined, fallback: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`not a positive integer: ${text}`);
    return value;
  };
  const timeLimitMs = number(values['time-limit-min'], DEFAULT_CHAOS.timeLimitMs / 60_000) * 60_000;
  // Should a step hang past the limit anyway, the process ends; the exit hooks kill every child.
  setTimeout(() => {
    console.error(`chaos: not done ${CLEAN_UP_MS_MAX / 1_000} s after the time limit; stopping`);
    console.log(JSON.stringify({ timedOut: true, checks: { withinTimeLimit: false } }));
    process.exit(1);
  }, timeLimitMs + CLEAN_UP_MS_MAX).unref();
  const report = await runChaos({
    ...DEFAULT_CHAOS,
    payouts: number(values.payouts, DEFAULT_CHAOS.payouts),
    concurrency: number(values.concurrency, DEFAULT_CHAOS.concurrency),
    workers: number(values.workers, DEFAULT_CHAOS.workers),
    confirmWindowS: number(values.window, DEFAULT_CHAOS.confirmWindowS),
    timeLimitMs,
    allWorkersDownMs: number(values['all-workers-down-s'], DEFAULT_CHAOS.allWorkersDownMs / 1_000) * 1_000,
    apiKillEveryMs: number(values['api-kill-every-s'], DEFAULT_CHAOS.apiKillEveryMs / 1_000) * 1_000,
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
