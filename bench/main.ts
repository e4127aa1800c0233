/**
 * `npm run bench -- --payouts N --concurrency C [--scenario lifecycle|hot-seller|pending|list|noisy-neighbour]`
 * (issue 8). Starts what it measures (see stack.ts), runs one scenario, prints a few lines and, as
 * its last line, the report as one JSON object, which it also writes to bench-report*.json.
 *
 * Bounded: every scenario has bounded counts, every request a timeout, and a watchdog ends the run
 * (children included) at `--time-limit-s` whatever happens.
 */
import { parseBenchArgs, UsageError, USAGE, wantsHelp, type BenchArgs, type ScenarioName } from './args';
import { emitReport, type ScenarioReport } from './report';
import { hotSellerScenario } from './scenarios/hot-seller';
import { lifecycleScenario } from './scenarios/lifecycle';
import { listScenario } from './scenarios/list';
import { noisyNeighbourScenario } from './scenarios/noisy-neighbour';
import { pendingScenario } from './scenarios/pending';

/** Time kept for tear-down (stopping children, dropping the database) out of the time limit. */
const TEARDOWN_RESERVE_MS = 30_000;

const SCENARIO_RUNNERS: Record<ScenarioName, (args: BenchArgs, deadlineMs: number) => Promise<ScenarioReport>> = {
  lifecycle: lifecycleScenario,
  'hot-seller': hotSellerScenario,
  pending: pendingScenario,
  list: listScenario,
  'noisy-neighbour': noisyNeighbourScenario,
};

async function main(): Promise<number> {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(USAGE);
    return 0;
  }
  const args = parseBenchArgs(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    console.error(`bench: time limit of ${args.timeLimitMs / 1_000} s reached; stopping everything`);
    process.exit(2);
  }, args.timeLimitMs);
  watchdog.unref();
  const deadlineMs = performance.now() + Math.max(args.timeLimitMs - TEARDOWN_RESERVE_MS, args.timeLimitMs / 2);
  const report = await SCENARIO_RUNNERS[args.scenario](args, deadlineMs);
  clearTimeout(watchdog);
  return emitReport(args.scenario, report, args.reportPath) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof UsageError ? err.message : err);
    process.exit(1);
  },
);
