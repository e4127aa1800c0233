/**
 * The benchmark's command line: `npm run bench -- [--scenario NAME] [--payouts N] [--concurrency C] ...`.
 * Every number has a default per scenario and a bound, so that a typo cannot start a run that
 * never ends or exhausts the machine.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SYSTEM_CAPS } from '../domain/rules';
import { LIST_ROWS_MAX } from './list-data';
import type { TemporalStore } from './stack';

export const SCENARIOS = ['lifecycle', 'hot-seller', 'pending', 'list', 'noisy-neighbour'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchArgs {
  scenario: ScenarioName;
  /** lifecycle: lifecycles measured; pending: payouts left pending; hot-seller: the seller's dailyCount limit. */
  payouts: number;
  concurrency: number;
  /** list: payout rows inserted before timing the list queries. */
  rows: number;
  /** The whole run, set-up and tear-down included, ends by this many ms after it started. */
  timeLimitMs: number;
  /** The benchmark's own database: dropped and created at start, dropped at the end unless kept. */
  database: string;
  keepDatabase: boolean;
  reportPath: string;
  /** Runs the product's and the ceiling's workers and APIs with `--cpu-prof`; profiles land in .data/bench-profiles/<run>/ (profile-summary.ts reads them). */
  profile: boolean;
  /**
   * The cadence of the reads of a confirmed payout, waiting for PAID: with the flag, that fixed
   * cadence; without it, the lifecycle's floor (it reads on the cadence both doors keep, at least
   * this: drive.ts, keptCadenceMs).
   */
  pollIntervalMs: number;
  /** Whether --poll-interval-ms was given: the lifecycle then reads on that cadence, whatever the doors keep. */
  pollIntervalFixed: boolean;
  /** Where the dev server keeps its SQLite database (ignored with TEMPORAL_ADDRESS). */
  temporalStore: TemporalStore;
}

type NumericFlag = 'payouts' | 'concurrency' | 'rows' | 'time-limit-s' | 'poll-interval-ms';

/** A numeric flag's bounds, and its default where no scenario sets one. */
interface Bounds {
  min: number;
  max: number;
  fallback?: number;
}

const NUMERIC_FLAGS: Record<NumericFlag, Bounds> = {
  payouts: { min: 1, max: 100_000 },
  concurrency: { min: 1, max: 512 },
  rows: { min: 1_000, max: LIST_ROWS_MAX, fallback: LIST_ROWS_MAX },
  // Up to 12 hours: issue 18's 100,000 pending payouts take hours (bench/README.md); the default stays short.
  'time-limit-s': { min: 10, max: 43_200, fallback: 1_200 },
  // A brisk client: a read every 50 ms adds at most that to confirm→PAID; each waiting client reads
  // 20 times a second. The lifecycle reads no faster than both doors answer (keptCadenceMs).
  'poll-interval-ms': { min: 1, max: 1_000, fallback: 50 },
};
export const DEFAULT_DATABASE = 'payouts_bench';

/** Defaults per scenario: the sizes issue 8 asks for. */
const DEFAULTS: Record<ScenarioName, { payouts: number; concurrency: number }> = {
  lifecycle: { payouts: 1_000, concurrency: 32 },
  // Hot seller fires every create at once: --concurrency does not apply.
  'hot-seller': { payouts: SYSTEM_CAPS.dailyCount, concurrency: 1 },
  pending: { payouts: 10_000, concurrency: 32 },
  // List latency is measured one request at a time unless told otherwise.
  list: { payouts: 0, concurrency: 1 },
  // Y's creates (one at a time, alone and beside X); X keeps --concurrency creates in flight.
  'noisy-neighbour': { payouts: 100, concurrency: 50 },
};
/** noisy-neighbour: Y's warm-up and two runs must fit in one seller's daily count cap. */
const NOISY_Y_PAYOUTS_MAX = 400;

export const USAGE = `usage: npm run bench -- [--scenario ${SCENARIOS.join('|')}] [--payouts N] [--concurrency C]
       [--rows N] [--time-limit-s S] [--database NAME] [--keep-database] [--report FILE] [--profile] [--poll-interval-ms MS]
       [--temporal-store memory|file]
       npm run bench -- --help
--poll-interval-ms: the lifecycle's reads on that fixed cadence; without it, on the cadence both doors keep (at least 50 ms).
bench/README.md says what each scenario measures and what each flag does.`;

/** A command line the benchmark cannot run: said with the usage, without a stack. */
export class UsageError extends Error {}

/** The flag's value within its bounds; `scenario` narrows them or gives the default. */
function numericFlag(values: Partial<Record<NumericFlag, string>>, name: NumericFlag, scenario: Partial<Bounds> = {}): number {
  const { min, max, fallback } = { ...NUMERIC_FLAGS[name], ...scenario };
  const text = values[name];
  if (text === undefined) {
    if (fallback === undefined) throw new Error(`--${name} has no default`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${text}"\n${USAGE}`);
  return value;
}

/** `--help` asks for the usage, not a run. */
export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  try {
    return readBenchArgs(argv);
  } catch (err) {
    // node:util's parseArgs throws TypeErrors for unknown or ill-typed options.
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${err.message}\n${USAGE}`);
    throw err;
  }
}

function readBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'lifecycle' },
      payouts: { type: 'string' },
      concurrency: { type: 'string' },
      rows: { type: 'string' },
      'time-limit-s': { type: 'string' },
      database: { type: 'string', default: DEFAULT_DATABASE },
      'keep-database': { type: 'boolean', default: false },
      report: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'poll-interval-ms': { type: 'string' },
      'temporal-store': { type: 'string', default: 'memory' },
    },
    strict: true,
  });
  const scenario = values.scenario as ScenarioName;
  if (!SCENARIOS.includes(scenario)) throw new UsageError(`unknown scenario "${values.scenario}"\n${USAGE}`);
  if (values['temporal-store'] !== 'memory' && values['temporal-store'] !== 'file') throw new UsageError(`--temporal-store is memory or file\n${USAGE}`);
  if (!/^[A-Za-z0-9_]{1,64}$/.test(values.database!)) throw new UsageError(`--database must match [A-Za-z0-9_]{1,64}\n${USAGE}`);
  const defaults = DEFAULTS[scenario];
  // A seller may lower its own dailyCount limit but never raise it above the system cap.
  const payoutsMax = scenario === 'hot-seller' ? SYSTEM_CAPS.dailyCount : scenario === 'noisy-neighbour' ? NOISY_Y_PAYOUTS_MAX : NUMERIC_FLAGS.payouts.max;
  const reportName = scenario === 'lifecycle' ? 'bench-report.json' : `bench-report-${scenario}.json`;
  return {
    scenario,
    payouts: numericFlag(values, 'payouts', { fallback: defaults.payouts, max: payoutsMax }),
    concurrency: numericFlag(values, 'concurrency', { fallback: defaults.concurrency }),
    rows: numericFlag(values, 'rows'),
    timeLimitMs: numericFlag(values, 'time-limit-s') * 1_000,
    database: values.database!,
    keepDatabase: values['keep-database']!,
    reportPath: path.resolve(values.report ?? reportName),
    profile: values.profile!,
    temporalStore: values['temporal-store'],
    pollIntervalMs: numericFlag(values, 'poll-interval-ms'),
    pollIntervalFixed: values['poll-interval-ms'] !== undefined,
  };
}
