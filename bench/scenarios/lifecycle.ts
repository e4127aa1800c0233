/**
 * The main scenario: N full payout lifecycles (create → confirm → PAID) through the product's API
 * at C concurrent clients, and N lifecycles of the ceiling (workflows/ceiling.ts: the same workflow
 * shape doing nothing) through the ceiling's minimal API at the same concurrency. The ratio of the
 * two throughputs says how much of what Temporal allows on this machine the product delivers.
 *
 * After a warm-up of both (JIT, pools, sticky caches), ceiling and product alternate in blocks
 * (C P, P C, C P, ...) so that a change in the machine's other load during the run falls on both
 * alike; each door's throughput is its lifecycles over the time its own blocks took. The CPU each
 * process spends per lifecycle, and the database's statements per lifecycle, say where the
 * difference goes. Each block ends once its workflows have closed, so that their last steps (the
 * outcome cards) count in their own door's block; then the run accounts for what a paid payout
 * costs the database and Temporal (lifecycle-cost.ts).
 *
 * Both doors are read on one cadence, and it is one that both keep (keptCadenceMs): a door whose
 * reads outlast the cadence is read less often than the other, which then pays for reads the
 * slower one was never sent.
 */
import { payoutWorkflowId } from '../../api/payout-gateway';
import { WORKER_LIMITS } from '../../worker/worker';
import type { BenchArgs } from '../args';
import { addCounters, connectDatabase, counterDelta, perUnit, readStatusCounters, type StatusCounters } from '../database';
import { LifecycleRecorder, ceilingDoor, driveLifecycles, keptCadenceMs, productDoor, type DriveOptions, type LifecycleRun } from '../drive';
import { CountingDoor, TemporalProbe, lifecycleCosts } from '../lifecycle-cost';
import { sampleCosts, type MeanCost } from '../temporal-cost';
import { ceilingWorkflowId } from '../ceiling-workflow';
import { JsonClient } from '../../test/support/json-client';
import { openMarket, type Market } from '../../test/support/http-market';
import { UsageMeter, addUsage, type PhaseUsage } from '../usage';
import { atLeast, atMost, type ScenarioReport, type Target } from '../report';
import { monotonicUs, writeProfileWindows, type ProfileWindow } from '../profile-summary';
import { startStack, type BenchStack } from '../stack';
import { perSecond, ratioOf, round, spreadOf } from '../stats';

/** Warm-up lifecycles per client, for each of the product and the ceiling; not measured. */
const WARMUP_LIFECYCLES_PER_CLIENT = 2;
/**
 * Blocks per door; the doors alternate block by block. Ten of 100 lifecycles at `--payouts 1000`
 * (about 7 s each here), not four of 250: this VM's speed moves by a quarter within 15 s (one run's
 * blocks of 250 cost 103 to 161 ms of CPU per lifecycle), and shorter blocks put more of each swing
 * on both doors alike. Ten pairs put a run's ratio within ±0.02–0.05 of its own mean; runs still
 * differ by more (bench/README.md, 2026-12-02, late night).
 */
const ALTERNATING_BLOCKS = 10;
/** Payouts per seller, below the dailyCount cap of 1,000 so that no limit refuses a benchmark payout. */
export const SELLER_PAYOUTS_MAX = 900;
/** The buyer has plenty of time: nothing may expire during a run. */
const CONFIRM_WINDOW = '1h';
/**
 * Issue 18's targets: the product delivers at least this share of the ceiling's lifecycles, in
 * throughput and in CPU time alike, and its create p99 stays within this multiple of the ceiling's
 * in the same run (at C = 32 both are queueing, so only the comparison says anything); a paid
 * payout costs the database at most so many statements and fsyncs.
 */
const RATIO_MIN = 0.9;
const CPU_RATIO_MIN = 0.9;
const CREATE_P99_VS_CEILING_MAX = 1.15;
const STATEMENTS_PER_LIFECYCLE_MAX = 20;
const FSYNCS_PER_LIFECYCLE_MAX = 5;
/** Histories read after the run, spread over the measured payouts. */
const HISTORY_SAMPLE = 20;

/** One door's lifecycles and what they cost, summed over its blocks. */
interface Tally {
  door: CountingDoor;
  taskQueue: string;
  recorder: LifecycleRecorder;
  usage?: PhaseUsage;
  db?: StatusCounters;
  /** Status reads the benchmark sent in the door's blocks, its blocks, and the payouts they created. */
  reads: number;
  blocks: number;
  ids: string[];
  /** Each of the door's blocks on its own, in the order driven. */
  byBlock: BlockFigures[];
  /** When each block ran, for the CPU profiles of a `--profile` run (profile-summary.ts). */
  windows: ProfileWindow[];
}

/** One block of one door: how fast it went and what it cost the machine, per lifecycle. */
interface BlockFigures {
  throughputPerS: number;
  cpuMsPerLifecycle: number;
}

/** A door's tally, for blocks read every `cadenceMs`. */
const tally = (door: CountingDoor, taskQueue: string, cadenceMs: number): Tally =>
  ({ door, taskQueue, recorder: new LifecycleRecorder(cadenceMs), reads: 0, blocks: 0, ids: [], byBlock: [], windows: [] });

/** How the measured blocks' cadence was chosen: the flag's, or the one both doors kept in the warm-up. */
interface Cadence {
  ms: number;
  chosen: 'fixed' | 'kept';
  floorMs: number;
  warmupReadP95Ms: { product: number; ceiling: number };
}

type Costs = Awaited<ReturnType<typeof lifecycleCosts>>;

interface Measured {
  run: LifecycleRun;
  usage: PhaseUsage;
  db: StatusCounters;
  byBlock: BlockFigures[];
}

export async function lifecycleScenario(args: BenchArgs, deadlineMs: number): Promise<ScenarioReport> {
  const stack = await startStack({ database: args.database, keepDatabase: args.keepDatabase, confirmWindow: CONFIRM_WINDOW, worker: true, ceiling: true, profile: args.profile, temporalStore: args.temporalStore });
  const api = new JsonClient(stack.apiUrl, args.concurrency);
  const ceilingApi = new JsonClient(stack.ceilingUrl!, args.concurrency);
  const probe = await TemporalProbe.connect(stack.temporalAddress);
  try {
    await probe.pauseArchiveSchedule();
    const warmup = args.concurrency * WARMUP_LIFECYCLES_PER_CLIENT;
    const total = warmup + args.payouts;
    const sellers = Math.max(args.concurrency, Math.ceil(total / SELLER_PAYOUTS_MAX));
    log(`setting up ${sellers} sellers and ${total} orders`);
    const market = await openMarket(api, stack.jwtSecret, { tag: stack.runId, sellers, ordersPerSeller: Math.ceil(total / sellers) });
    const productReads = new CountingDoor(productDoor(api, market.orders, stack.runId));
    const ceilingReads = new CountingDoor(ceilingDoor(ceilingApi, stack.runId));
    const warmupOptions = { concurrency: args.concurrency, deadlineMs, pollIntervalMs: args.pollIntervalMs, first: 0, count: warmup };
    log(`warming up: ${warmup} lifecycles each, reads every ${args.pollIntervalMs} ms`);
    const ceilingWarmup = (await driveLifecycles(ceilingReads, warmupOptions)).summary();
    const productWarmup = (await driveLifecycles(productReads, warmupOptions)).summary();
    const warmupStarted = productReads.take().ids.length;
    ceilingReads.take();
    const cadence = cadenceOf(args, { product: productWarmup.statusReadMs.p95Ms, ceiling: ceilingWarmup.statusReadMs.p95Ms });
    const product = tally(productReads, stack.taskQueues.payouts, cadence.ms);
    const ceiling = tally(ceilingReads, stack.taskQueues.ceiling, cadence.ms);
    const options = { concurrency: args.concurrency, deadlineMs, pollIntervalMs: cadence.ms };
    await Promise.all([probe.waitAllClosed(product.taskQueue), probe.waitAllClosed(ceiling.taskQueue)]);
    // Never a block without a lifecycle: a run of fewer payouts than blocks has one per block.
    const blocks = Math.min(ALTERNATING_BLOCKS, args.payouts);
    log(`measuring: ${args.payouts} lifecycles each at ${args.concurrency} clients, in ${blocks} alternating blocks, reads every ${cadence.ms} ms (${cadenceSaid(cadence)})`);
    for (let block = 0, first = warmup; block < blocks; block++) {
      const count = Math.floor(args.payouts / blocks) + (block < args.payouts % blocks ? 1 : 0);
      const order = block % 2 === 0 ? [ceiling, product] : [product, ceiling];
      for (const door of order) await driveBlock(stack, probe, door, { ...options, first, count });
      first += count;
    }
    if (stack.profileDir) writeProfileWindows(stack.profileDir, { product: product.windows, ceiling: ceiling.windows });
    log(`accounting: the status reads' cost, the archive sweep, ${HISTORY_SAMPLE} histories`);
    const costs = await productCosts(stack, probe, product, market, warmupStarted, api);
    // The ceiling's histories beside the product's: the shape both keep, event for event.
    const ceilingTemporal = await sampleCosts(probe.connection, probe.namespace, ceiling.ids.map(ceilingWorkflowId), HISTORY_SAMPLE);
    return buildReport(args, cadence, measured(product), measured(ceiling), costs, ceilingTemporal);
  } finally {
    await probe.resumeArchiveSchedule().catch((err) => log(`the archive schedule could not be unpaused: ${String(err)}`));
    await probe.close();
    api.close();
    ceilingApi.close();
    await stack.stop();
  }
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** The measured blocks' cadence: the flag's when it was given, else the one both doors kept in the warm-up. */
function cadenceOf(args: BenchArgs, warmupReadP95Ms: Cadence['warmupReadP95Ms']): Cadence {
  const floorMs = args.pollIntervalMs;
  if (args.pollIntervalFixed) return { ms: floorMs, chosen: 'fixed', floorMs, warmupReadP95Ms };
  return { ms: keptCadenceMs(floorMs, Object.values(warmupReadP95Ms)), chosen: 'kept', floorMs, warmupReadP95Ms };
}

const cadenceSaid = (cadence: Cadence) => (cadence.chosen === 'fixed'
  ? 'fixed by --poll-interval-ms'
  : `kept by both doors: their warm-up reads' p95 ${cadence.warmupReadP95Ms.product} and ${cadence.warmupReadP95Ms.ceiling} ms, at least ${cadence.floorMs}`);

async function driveBlock(stack: BenchStack, probe: TemporalProbe, tally: Tally, options: DriveOptions): Promise<void> {
  const db = await connectDatabase(stack.databaseName);
  try {
    const before = await readStatusCounters(db);
    // Throughput is timed by driveLifecycles alone; the wait for the block's workflows to close
    // (their outcome cards stored and sent) keeps their last steps in this door's block.
    const start = { completed: tally.recorder.completed, wallMs: tally.recorder.drivenMs, monotonicUs: monotonicUs() };
    const { usage } = await new UsageMeter(stack.pids, ['worker', 'ceilingWorker']).measure(async () => {
      await driveLifecycles(tally.door, options, tally.recorder);
      if (!(await probe.waitAllClosed(tally.taskQueue))) log(`some workflows of ${tally.taskQueue} still run after the block`);
    });
    tally.usage = addUsage(tally.usage, usage);
    const completed = tally.recorder.completed - start.completed;
    tally.windows.push({ startUs: start.monotonicUs, endUs: monotonicUs(), lifecycles: completed });
    tally.byBlock.push({
      throughputPerS: perSecond(completed, tally.recorder.drivenMs - start.wallMs),
      cpuMsPerLifecycle: completed ? round(totalCpuMs(usage) / completed) : 0,
    });
    tally.db = addCounters(tally.db, counterDelta(before, await readStatusCounters(db)));
    const { reads, ids } = tally.door.take();
    tally.reads += reads;
    tally.ids.push(...ids);
    tally.blocks++;
  } finally {
    await db.end();
  }
}

/** What a paid payout costs the database and Temporal (lifecycle-cost.ts); undefined when none was paid. */
async function productCosts(stack: BenchStack, probe: TemporalProbe, product: Tally, market: Market, warmupStarted: number, api: JsonClient): Promise<Costs | undefined> {
  const paid = product.door.last;
  if (!paid || product.recorder.completed === 0) return undefined;
  const db = await connectDatabase(stack.databaseName);
  try {
    return await lifecycleCosts({
      probe,
      db,
      door: productDoor(api, market.orders, stack.runId),
      paid,
      moved: product.db!,
      reads: product.reads,
      counterReadings: product.blocks,
      lifecycles: product.recorder.completed,
      taskQueue: product.taskQueue,
      runId: stack.runId,
      sellerIds: market.sellers.map((seller) => seller.sellerId),
      payoutsStarted: warmupStarted + product.ids.length,
      payoutIds: product.ids,
      workflowIds: product.ids.map(payoutWorkflowId),
      sampleSize: HISTORY_SAMPLE,
    });
  } finally {
    await db.end();
  }
}

function measured(tally: Tally): Measured {
  return { run: tally.recorder.summary(), usage: tally.usage!, db: perUnit(tally.db!, tally.recorder.completed), byBlock: tally.byBlock };
}

function blockPairs(product: BlockFigures[], ceiling: BlockFigures[]) {
  const pairs = product.map((figures, block) => ({
    product: figures,
    ceiling: ceiling[block],
    ratio: ratioOf(figures.throughputPerS, ceiling[block].throughputPerS),
    cpuRatio: ratioOf(ceiling[block].cpuMsPerLifecycle, figures.cpuMsPerLifecycle),
  }));
  // The pairs' mean and its standard error: how far this run's ratio may be from the machine's.
  return { pairs, ratio: spreadOf(pairs.map((pair) => pair.ratio)), cpuRatio: spreadOf(pairs.map((pair) => pair.cpuRatio)) };
}

const perLifecycle = (cpuMs: Record<string, number>, lifecycles: number) =>
  Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, lifecycles ? round(ms / lifecycles) : 0]));

/** A door's worker's CPU per lifecycle by thread (usage.ts, ThreadCpu), in its own blocks. */
const workerThreadsPerLifecycle = (measured: Measured, worker: string) =>
  perLifecycle({ ...measured.usage.threadCpuMs?.[worker] }, measured.run.completed);

/** CPU time of every measured process: the machine's, that is. */
const totalCpuMs = (usage: PhaseUsage) => Object.values(usage.cpuMs).reduce((a, b) => a + b, 0);

/** The machine's CPU time per lifecycle. */
const cpuPerLifecycle = (measured: Measured) => (measured.run.completed ? totalCpuMs(measured.usage) / measured.run.completed : 0);

/** Issue 18's targets; the database's only when the costs could be measured (a payout was paid). */
function targetsOf(args: BenchArgs, headline: { ratio: number; cpuRatio: number; createP99VsCeiling: number }, costs: Costs | undefined): Target[] {
  const targets = [
    atLeast('ratio', headline.ratio, RATIO_MIN),
    atLeast('cpuRatio', headline.cpuRatio, CPU_RATIO_MIN),
    atMost(`createP99VsCeiling (create p99 / the ceiling's) at C=${args.concurrency}`, headline.createP99VsCeiling, CREATE_P99_VS_CEILING_MAX),
  ];
  if (!costs) return targets;
  return [
    ...targets,
    atMost('statementsPerLifecycle', costs.headline.statementsPerLifecycle, STATEMENTS_PER_LIFECYCLE_MAX),
    atMost('fsyncsPerLifecycle', costs.headline.fsyncsPerLifecycle, FSYNCS_PER_LIFECYCLE_MAX),
  ];
}

function buildReport(args: BenchArgs, cadence: Cadence, product: Measured, ceiling: Measured, costs: Costs | undefined, ceilingTemporal: Record<string, MeanCost>): ScenarioReport {
  const byBlockPair = blockPairs(product.byBlock, ceiling.byBlock);
  const ratio = ratioOf(product.run.throughputPerS, ceiling.run.throughputPerS);
  const createP99VsCeiling = ratioOf(product.run.createMs.p99Ms, ceiling.run.createMs.p99Ms);
  const headline = {
    payouts: args.payouts,
    concurrency: args.concurrency,
    lifecycleThroughputPerS: product.run.throughputPerS,
    ceilingThroughputPerS: ceiling.run.throughputPerS,
    ratio,
    // The same comparison in CPU time (ceiling's per lifecycle over the product's): on two cores
    // shared with other work, it moves less than wall-clock throughput does.
    cpuRatio: ratioOf(cpuPerLifecycle(ceiling), cpuPerLifecycle(product)),
    // The lowest and highest ratio of one pair of blocks: what a run of a tenth the size could have said.
    blockPairRatioMin: byBlockPair.ratio.min,
    blockPairRatioMax: byBlockPair.ratio.max,
    blockPairRatioStandardError: byBlockPair.ratio.standardError,
    createP50Ms: product.run.createMs.p50Ms,
    createP95Ms: product.run.createMs.p95Ms,
    createP99Ms: product.run.createMs.p99Ms,
    ceilingCreateP99Ms: ceiling.run.createMs.p99Ms,
    createP99VsCeiling,
    confirmToPaidP50Ms: product.run.confirmToPaidMs.p50Ms,
    confirmToPaidP99Ms: product.run.confirmToPaidMs.p99Ms,
    // The benchmark's status reads per lifecycle, and the share of them that kept the cadence: the
    // two doors are read alike only when each answers within it (drive.ts, waitUntilPaid).
    pollIntervalMs: cadence.ms,
    pollCadence: cadence.chosen,
    pollsPerLifecycle: product.run.pollsPerLifecycle,
    ceilingPollsPerLifecycle: ceiling.run.pollsPerLifecycle,
    readsOnCadenceShare: product.run.readsOnCadenceShare,
    ceilingReadsOnCadenceShare: ceiling.run.readsOnCadenceShare,
    workerRssMb: product.usage.peakRssMb.worker,
    apiRssMb: product.usage.peakRssMb.api,
    failures: Object.values(product.run.failures).reduce((a, b) => a + b, 0),
    ceilingFailures: Object.values(ceiling.run.failures).reduce((a, b) => a + b, 0),
    // Per paid payout: the database (the benchmark's own reads taken out, the archive counted) and Temporal (a sample of histories).
    ...costs?.headline,
    ceilingHistoryEventsPerPaidPayout: ceilingTemporal.PAID?.events ?? 0,
    ceilingActionsPerPaidPayout: ceilingTemporal.PAID?.actions ?? 0,
  };
  return {
    headline,
    targets: targetsOf(args, headline, costs),
    checks: { 'every product lifecycle reached PAID': product.run.completed === args.payouts, 'every ceiling lifecycle completed': ceiling.run.completed === args.payouts },
    detail: {
      product: product.run,
      ceiling: ceiling.run,
      cadence,
      cpuMsPerLifecycle: { product: perLifecycle(product.usage.cpuMs, product.run.completed), ceiling: perLifecycle(ceiling.usage.cpuMs, ceiling.run.completed) },
      // Where each worker's CPU goes by thread: the product's extra is its main thread's (bench/README.md).
      workerCpuMsPerLifecycleByThread: { product: workerThreadsPerLifecycle(product, 'worker'), ceiling: workerThreadsPerLifecycle(ceiling, 'ceilingWorker') },
      // Each pair of blocks (one of each door, back to back) as a run of its own: how far the
      // headline's ratios could move between runs on the same machine.
      byBlockPair,
      peakRssMb: { product: product.usage.peakRssMb, ceiling: ceiling.usage.peakRssMb },
      // Server-wide counters: the ceiling touches no database, so its column is other clients' noise.
      dbPerLifecycle: { product: product.db, ceiling: ceiling.db },
      costAccounting: costs?.detail,
      ceilingTemporalPerEndState: ceilingTemporal,
      workerLimits: WORKER_LIMITS,
      setup: `API and worker each in a child process; ceiling API and worker likewise; load generator in the bench process; ${product.byBlock.length} alternating blocks per door`,
    },
    summaryLines: [
      `lifecycles: ${headline.lifecycleThroughputPerS}/s, ceiling ${headline.ceilingThroughputPerS}/s, ratio ${ratio} (in CPU time ${headline.cpuRatio}); block by block ${byBlockPair.ratio.min}-${byBlockPair.ratio.max}, mean ${byBlockPair.ratio.mean} ± ${byBlockPair.ratio.standardError} (CPU ${byBlockPair.cpuRatio.min}-${byBlockPair.cpuRatio.max}, ${byBlockPair.cpuRatio.mean} ± ${byBlockPair.cpuRatio.standardError})`,
      `create p50/p95/p99 ${headline.createP50Ms}/${headline.createP95Ms}/${headline.createP99Ms} ms (ceiling p99 ${headline.ceilingCreateP99Ms} ms, x${createP99VsCeiling}); confirm→PAID p50/p99 ${headline.confirmToPaidP50Ms}/${headline.confirmToPaidP99Ms} ms`,
      `status reads every ${cadence.ms} ms (${cadenceSaid(cadence)}): ${headline.pollsPerLifecycle} per lifecycle, ${headline.readsOnCadenceShare} of them on cadence (p95 ${product.run.statusReadMs.p95Ms} ms); the ceiling's ${headline.ceilingPollsPerLifecycle}, ${headline.ceilingReadsOnCadenceShare} (p95 ${ceiling.run.statusReadMs.p95Ms} ms)`,
      `RSS: worker ${headline.workerRssMb} MB, API ${headline.apiRssMb} MB`,
      `per paid payout: ${costs?.headline.statementsPerLifecycle} statements, ${costs?.headline.fsyncsPerLifecycle} fsyncs; ${costs?.headline.historyEventsPerPaidPayout} history events, ${costs?.headline.workflowTasksPerPaidPayout} workflow tasks, ${costs?.headline.actionsPerPaidPayout} actions (the ceiling's ${headline.ceilingHistoryEventsPerPaidPayout} events, ${headline.ceilingActionsPerPaidPayout} actions)`,
    ],
  };
}
