/**
 * What one paid payout costs the database and Temporal, for the lifecycle scenario (issue 18):
 * MariaDB statements and fsyncs per paid payout, everything the product does for it counted (the
 * API's create and confirm, the workflow's local activities, its cards, its archiving) and the
 * benchmark's own status reads not; and the payout's history events, workflow tasks and billable
 * actions, from a sample of the run's histories (temporal-cost.ts).
 *
 * MariaDB's counters are server-wide, and the benchmark polls the product's `GET /v1/payouts/{id}`
 * until PAID: those reads are the benchmark's, not the product's. They are taken out exactly: the
 * door counts every read it sends, and the run measures what one read costs (`calibrateStatusRead`,
 * reads of one paid payout, one at a time, with the product idle), so each block's statements less
 * reads × that cost, less the counter readings' own statements, is the product's. The archive is
 * measured apart: the benchmark pauses the five-minute schedule and, once the run's payouts have
 * closed, runs the sweep itself over the run's sellers.
 *
 * The sandbox payment provider keeps its books in the same server (provider/sandbox.ts): each
 * transfer it books is one INSERT, committed alone, so a statement and an fsync. In production the
 * provider is an external service whose books are not our database's work, so the headline leaves
 * them out, counted from the transfers it booked for the measured payouts (`detail.costAccounting.provider`); its
 * cached read of the fault settings, once a second per worker, is left in.
 */
import { Connection, type Client } from '@temporalio/client';
import type mysql from 'mysql2/promise';
import { parsePayloadKeyring } from '../codec/keyring';
import { temporalClient } from '../codec/data-converter';
import { ARCHIVE_SCHEDULE_ID } from '../worker/archive-schedule';
import { SWEEP_SCOPE_SELLERS_MAX, type SweepResult } from '../activities/archive-activities';
import { counterDelta, perUnit, readStatusCounters, type StatusCounters } from './database';
import type { PayoutDoor } from './drive';
import { sleep } from './stats';
import { fetchHistory, historyCost, sampleCosts } from './temporal-cost';

const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
/** Reads of one payout that measure what a status read costs; noise only adds, so the floor of the mean is taken. */
const CALIBRATION_READS = 100;
const CLOSE_POLL_MS = 100;
const CLOSE_WAIT_MS_MAX = 120_000;

/** A door that counts the status reads sent through it and keeps the ids it created, block by block. */
export class CountingDoor implements PayoutDoor {
  reads = 0;
  ids: string[] = [];
  /** The last payout created through the door, and its index. */
  last: { index: number; id: string } | undefined;

  constructor(private readonly door: PayoutDoor) {}

  async create(index: number): Promise<string> {
    const id = await this.door.create(index);
    this.ids.push(id);
    this.last = { index, id };
    return id;
  }

  confirm(index: number, payoutId: string): Promise<void> {
    return this.door.confirm(index, payoutId);
  }

  status(index: number, payoutId: string): Promise<string> {
    this.reads++;
    return this.door.status(index, payoutId);
  }

  /** The reads and ids since the last call. */
  take(): { reads: number; ids: string[] } {
    const taken = { reads: this.reads, ids: this.ids };
    this.reads = 0;
    this.ids = [];
    return taken;
  }
}

/** The benchmark's view of Temporal: raw calls, and the product's data converter for the sweep's result. */
export class TemporalProbe {
  readonly namespace = NAMESPACE;

  private constructor(readonly connection: Connection, private readonly client: Client) {}

  static async connect(address: string): Promise<TemporalProbe> {
    const connection = await Connection.connect({ address });
    const keyring = parsePayloadKeyring(process.env.PAYLOAD_KEYS || undefined, process.env.PAYLOAD_KEY_ID || undefined);
    return new TemporalProbe(connection, temporalClient(connection, NAMESPACE, keyring));
  }

  /** Whether this probe paused the archive schedule, and so must let it run again. */
  private pausedSchedule = false;

  /**
   * The archive sweep runs when the benchmark says, not every five minutes into whichever block. A
   * schedule someone else paused (on a reused server) stays as it was.
   */
  async pauseArchiveSchedule(): Promise<void> {
    const handle = this.client.schedule.getHandle(ARCHIVE_SCHEDULE_ID);
    if ((await handle.describe()).state.paused) return;
    await handle.pause('benchmark: the run sweeps once, at its end');
    this.pausedSchedule = true;
  }

  /** Lets the schedule run again if this probe paused it: a reused server keeps its sweeps. */
  async resumeArchiveSchedule(): Promise<void> {
    if (!this.pausedSchedule) return;
    await this.client.schedule.getHandle(ARCHIVE_SCHEDULE_ID).unpause('benchmark: run over');
    this.pausedSchedule = false;
  }

  /** Waits until no workflow of `taskQueue` runs any more (every one of a block closed: its cards stored and sent). */
  async waitAllClosed(taskQueue: string): Promise<boolean> {
    const giveUpMs = performance.now() + CLOSE_WAIT_MS_MAX;
    const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
    while (performance.now() < giveUpMs) {
      const { executions } = await this.connection.workflowService.listWorkflowExecutions({ namespace: NAMESPACE, query, pageSize: 1 });
      if (!executions?.length) return true;
      await sleep(CLOSE_POLL_MS);
    }
    return false;
  }

  /** Waits until visibility lists `count` closed payouts of these sellers, so that a sweep finds them all. */
  async waitListedClosed(sellerIds: readonly string[], count: number): Promise<boolean> {
    const giveUpMs = performance.now() + CLOSE_WAIT_MS_MAX;
    const query = `SellerId IN (${sellerIds.map((id) => `'${id}'`).join(', ')}) AND WorkflowType = 'payoutWorkflow' AND ExecutionStatus != 'Running'`;
    while (performance.now() < giveUpMs) {
      const { count: listed } = await this.connection.workflowService.countWorkflowExecutions({ namespace: NAMESPACE, query });
      // A proto int64: a number, or a Long with toNumber().
      const n = typeof listed === 'number' ? listed : (listed?.toNumber() ?? 0);
      if (n >= count) return true;
      await sleep(CLOSE_POLL_MS);
    }
    return false;
  }

  /** Runs the archive sweep over these sellers (in scopes of at most SWEEP_SCOPE_SELLERS_MAX) and sums what it did. */
  async sweep(taskQueue: string, sellerIds: readonly string[], runId: string): Promise<SweepResult & { workflowIds: string[] }> {
    const total = { listed: 0, archived: 0, alreadyArchived: 0, gone: 0, failed: 0, complete: true, workflowIds: [] as string[] };
    for (let first = 0; first < sellerIds.length; first += SWEEP_SCOPE_SELLERS_MAX) {
      const scope = { sellerIds: sellerIds.slice(first, first + SWEEP_SCOPE_SELLERS_MAX) };
      const workflowId = `${runId}-archive-${first}`;
      total.workflowIds.push(workflowId);
      const result = await this.client.workflow.execute<(s: typeof scope) => Promise<SweepResult>>('archiveSweepWorkflow', {
        taskQueue, workflowId, args: [scope], workflowExecutionTimeout: '10m',
      });
      for (const key of ['listed', 'archived', 'alreadyArchived', 'gone', 'failed'] as const) total[key] += result[key];
      total.complete &&= result.complete;
    }
    return total;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** What one status read costs the database, and what reading the counters costs. */
export interface ReadCost {
  statementsPerRead: number;
  fsyncsPerRead: number;
  /** Statements (Questions) a counter reading adds to the next one. */
  counterReadStatements: number;
  /** Every counter's raw mean per read (Questions less the counter reading's), which the floors were taken of. */
  measuredPerRead: StatusCounters;
}

/** Reads one paid payout CALIBRATION_READS times, one at a time, between two counter readings. */
export async function calibrateStatusRead(db: mysql.Connection, door: PayoutDoor, index: number, payoutId: string): Promise<ReadCost> {
  const first = await readStatusCounters(db);
  const second = await readStatusCounters(db);
  const counterReadStatements = second.Questions - first.Questions;
  for (let i = 0; i < CALIBRATION_READS; i++) await door.status(index, payoutId);
  const moved = counterDelta(second, await readStatusCounters(db));
  const measuredPerRead = perUnit({ ...moved, Questions: moved.Questions - counterReadStatements }, CALIBRATION_READS, 100);
  return {
    statementsPerRead: Math.floor(measuredPerRead.Questions),
    fsyncsPerRead: Math.floor(measuredPerRead.Innodb_data_fsyncs),
    counterReadStatements,
    measuredPerRead,
  };
}

/** The product's own statements and fsyncs out of a door's blocks: the benchmark's reads and counter readings taken out. */
export function productShare(moved: StatusCounters, reads: number, counterReadings: number, cost: ReadCost): { statements: number; fsyncs: number; logWrites: number } {
  return {
    statements: moved.Questions - reads * cost.statementsPerRead - counterReadings * cost.counterReadStatements,
    fsyncs: moved.Innodb_data_fsyncs - reads * cost.fsyncsPerRead,
    logWrites: moved.Innodb_log_writes,
  };
}

/**
 * The transfers the sandbox provider booked for these payouts (`payout:<id>` keys): each a statement
 * and a commit of its own (`SandboxProvider.book`, an INSERT IGNORE that inserted).
 */
export async function providerBookings(db: mysql.Connection, payoutIds: readonly string[]): Promise<number> {
  let booked = 0;
  for (let first = 0; first < payoutIds.length; first += 500) {
    const keys = payoutIds.slice(first, first + 500).map((id) => `payout:${id}`);
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      `select count(*) as n from sandbox_transactions where kind = 'TRANSFER' and idempotency_key in (${keys.map(() => '?').join(', ')})`,
      keys,
    );
    booked += Number(rows[0].n);
  }
  return booked;
}

/** What the lifecycle blocks of the product door left to be accounted for. */
export interface CostInputs {
  probe: TemporalProbe;
  db: mysql.Connection;
  /** The product's door, uncounted: the calibration's reads are not a block's. */
  door: PayoutDoor;
  /** A closed payout of the run (the last one created), and its door index, for the calibration's reads. */
  paid: { index: number; id: string };
  /** The counters' movement over the product's blocks, summed. */
  moved: StatusCounters;
  reads: number;
  counterReadings: number;
  lifecycles: number;
  taskQueue: string;
  runId: string;
  sellerIds: string[];
  /** Payout workflows the product door started in the run, warm-up included: the sweep waits until it sees them all closed. */
  payoutsStarted: number;
  /** The measured payouts' ids: the provider's bookings for them are counted apart. */
  payoutIds: string[];
  /** The workflow ids of the measured payouts; a sample of them is read. */
  workflowIds: string[];
  sampleSize: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const perUnit1 = (total: number, units: number) => (units > 0 ? round1(total / units) : 0);

/** Statements, fsyncs and Temporal costs per paid payout, with how each was found. */
export async function lifecycleCosts(inputs: CostInputs) {
  const { probe, db } = inputs;
  const readCost = await calibrateStatusRead(db, inputs.door, inputs.paid.index, inputs.paid.id);
  const withProvider = productShare(inputs.moved, inputs.reads, inputs.counterReadings, readCost);
  const booked = await providerBookings(db, inputs.payoutIds);
  const blocks = { ...withProvider, statements: withProvider.statements - booked, fsyncs: withProvider.fsyncs - booked };
  const listed = await probe.waitListedClosed(inputs.sellerIds, inputs.payoutsStarted);
  const before = await readStatusCounters(db);
  const swept = await probe.sweep(inputs.taskQueue, inputs.sellerIds, inputs.runId);
  const archiveMoved = counterDelta(before, await readStatusCounters(db));
  const { workflowIds: sweepIds, ...sweptRuns } = swept;
  let sweepActions = 0;
  for (const id of sweepIds) sweepActions += historyCost(await fetchHistory(probe.connection, probe.namespace, id)).actions;
  const archive = {
    ...sweptRuns,
    allListedBeforeSweep: listed,
    statementsPerRun: perUnit1(archiveMoved.Questions - readCost.counterReadStatements, swept.archived),
    fsyncsPerRun: perUnit1(archiveMoved.Innodb_data_fsyncs, swept.archived),
    // The sweep's own workflow (start, activity), shared by the runs it archived; its heartbeats leave no event.
    temporalActionsPerRun: swept.archived > 0 ? Math.round((sweepActions / swept.archived) * 100) / 100 : 0,
  };
  const temporal = await sampleCosts(probe.connection, probe.namespace, inputs.workflowIds, inputs.sampleSize);
  const paid = temporal.PAID;
  const headline = {
    statementsPerLifecycle: round1(perUnit1(blocks.statements, inputs.lifecycles) + archive.statementsPerRun),
    fsyncsPerLifecycle: round1(perUnit1(blocks.fsyncs, inputs.lifecycles) + archive.fsyncsPerRun),
    historyEventsPerPaidPayout: paid?.events ?? 0,
    workflowTasksPerPaidPayout: paid?.workflowTasks ?? 0,
    actionsPerPaidPayout: paid?.actions ?? 0,
    temporalPerEndState: Object.fromEntries(Object.entries(temporal).map(([state, cost]) => [state, { events: cost.events, workflowTasks: cost.workflowTasks, actions: cost.actions }])),
  };
  const detail = {
    statusReads: inputs.reads,
    readCost,
    // Per paid lifecycle, the benchmark's reads taken out; the archive's share apart.
    blocksPerLifecycle: { statements: perUnit1(blocks.statements, inputs.lifecycles), fsyncs: perUnit1(blocks.fsyncs, inputs.lifecycles), logWrites: perUnit1(blocks.logWrites, inputs.lifecycles) },
    // The sandbox provider's books, left out of the headline: a statement and an fsync per transfer booked.
    provider: {
      transfersBooked: booked,
      statementsPerLifecycle: perUnit1(booked, inputs.lifecycles),
      fsyncsPerLifecycle: perUnit1(booked, inputs.lifecycles),
      blocksWithProviderPerLifecycle: { statements: perUnit1(withProvider.statements, inputs.lifecycles), fsyncs: perUnit1(withProvider.fsyncs, inputs.lifecycles) },
    },
    archive,
    temporalPerEndState: temporal,
  };
  return { headline, detail };
}
