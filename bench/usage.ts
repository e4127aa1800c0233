/**
 * What the benchmark's processes (worker, API, the ceiling's worker and API, Temporal, MariaDB)
 * cost: resident memory and CPU time read from /proc, so that each process is measured on its own.
 * They are started by the harness's toolkit (test/support/processes.ts).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { round } from './stats';

/** Linux's USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream build. */
const CLOCK_TICKS_PER_S = 100;
const KB_PER_MB = 1_024;

export interface Usage {
  rssMb: number;
  cpuMs: number;
}

/** The process's resident memory and CPU time so far, or null once it is gone. */
export function readUsage(pid: number): Usage | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    return { rssMb: rssKb / KB_PER_MB, cpuMs: cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) };
  } catch {
    return null;
  }
}

/** utime + stime of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line, in ms. */
function cpuMsOfStat(stat: string): number {
  // The command name may contain spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_S;
}

/** Each process's CPU time so far, read when `count` things (a scenario's creates) were done. */
export interface CpuMark {
  atMs: number;
  count: number;
  cpuMs: Record<string, number>;
}

export function cpuMark(pids: Record<string, number>, names: readonly string[], count: number): CpuMark {
  const cpuMs: Record<string, number> = {};
  for (const name of names) {
    const usage = pids[name] ? readUsage(pids[name]) : null;
    if (usage) cpuMs[name] = usage.cpuMs;
  }
  return { atMs: performance.now(), count, cpuMs };
}

/** The things done between one mark and the next: how many a second, and each process's CPU per thing (`all`: theirs summed). */
export interface CpuBetweenMarks {
  /** The count at the later mark. */
  count: number;
  perS: number;
  cpuMsEach: Record<string, number>;
}

/**
 * Between each mark and the next, so that a change of rate can be put down to the process whose
 * CPU per thing changed, or to none of them (a wait that costs no CPU: a lock, a single connection).
 * A process missing from either mark is left out.
 */
export function cpuBetweenMarks(marks: readonly CpuMark[]): CpuBetweenMarks[] {
  return marks.slice(1).map((mark, i) => {
    const from = marks[i];
    const done = mark.count - from.count;
    const cpuMsEach: Record<string, number> = {};
    let all = 0;
    for (const [name, after] of Object.entries(mark.cpuMs)) {
      const before = from.cpuMs[name];
      if (before === undefined) continue;
      cpuMsEach[name] = round((after - before) / done);
      all += after - before;
    }
    cpuMsEach.all = round(all / done);
    return { count: mark.count, perS: round((done * 1_000) / (mark.atMs - from.atMs)), cpuMsEach };
  });
}

/**
 * The pid of the process listening on 127.0.0.1:`port` (the database server), to charge its CPU to
 * the run. Found by the listening socket's inode, so that another database server on the machine
 * (a test's private one) is never taken for ours. Read-only: it is not our process.
 */
export function findListenerPid(port: number): number | undefined {
  const inode = listeningInode(port);
  if (!inode) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readdirSync(`/proc/${entry}/fd`).some((fd) => readlinkSafe(`/proc/${entry}/fd/${fd}`) === `socket:[${inode}]`)) return Number(entry);
    } catch {
      // The process ended while we looked, or its descriptors are not ours to read.
    }
  }
  return undefined;
}

/** /proc/net/tcp lists sockets as `local_address` hex `IP:PORT` and `st` 0A for LISTEN. */
function listeningInode(port: number): string | undefined {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(table, 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${portHex}`) && fields[3] === '0A') return fields[9];
    }
  }
  return undefined;
}

function readlinkSafe(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

/**
 * A worker's CPU time by thread (issue 18): its main thread (the activities, the SDK's handling of
 * their tasks and of every payload), the SDK's Rust core (its tokio threads and its
 * workflow-processing thread), its other threads (the workflow sandbox's worker thread; V8's
 * helpers: the collector's, the compiler's), and the threads that came and went between two
 * readings (most of them Node's watchdog, one for each call into the sandbox with a timeout).
 */
export interface ThreadCpu {
  mainThread: number;
  rustCore: number;
  otherThreads: number;
  shortLived: number;
}

/** Each thread's name and CPU time so far; empty once the process is gone. */
function readThreads(pid: number): Map<number, { name: string; cpuMs: number }> {
  const threads = new Map<number, { name: string; cpuMs: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      threads.set(Number(tid), { name, cpuMs: cpuMsOfStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')) });
    } catch {
      // The thread ended between the listing and the reading.
    }
  }
  return threads;
}

/** A process's threads over a phase: read at its start, every THREAD_SAMPLE_MS, and at its end. */
class ThreadWatch {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { name: string; cpuMs: number }>();

  constructor(private readonly pid: number) {
    for (const [tid, thread] of readThreads(pid)) {
      this.first.set(tid, thread.cpuMs);
      this.last.set(tid, thread);
    }
  }

  read(): void {
    for (const [tid, thread] of readThreads(this.pid)) this.last.set(tid, thread);
  }

  /** The phase's CPU by thread, read once more now; `processCpuMs`, the whole process's, less what the readings saw, is the short-lived threads'. */
  split(processCpuMs: number): ThreadCpu {
    this.read();
    const split: ThreadCpu = { mainThread: 0, rustCore: 0, otherThreads: 0, shortLived: 0 };
    let seen = 0;
    for (const [tid, thread] of this.last) {
      // A thread first read after the phase began spent all its time in it.
      const spent = thread.cpuMs - (this.first.get(tid) ?? 0);
      seen += spent;
      if (tid === this.pid) split.mainThread += spent;
      else if (thread.name.startsWith('tokio') || thread.name.startsWith('workflow-proces')) split.rustCore += spent;
      else split.otherThreads += spent;
    }
    split.shortLived = Math.max(0, processCpuMs - seen);
    return split;
  }
}

const addThreadCpu = (a: ThreadCpu, b: ThreadCpu): ThreadCpu => ({
  mainThread: a.mainThread + b.mainThread,
  rustCore: a.rustCore + b.rustCore,
  otherThreads: a.otherThreads + b.otherThreads,
  shortLived: a.shortLived + b.shortLived,
});

export interface PhaseUsage {
  /** CPU time each process spent during the phase. */
  cpuMs: Record<string, number>;
  /** For the processes the meter was asked to split by thread: their CPU time by thread. */
  threadCpuMs?: Record<string, ThreadCpu>;
  /** Highest resident memory seen during the phase. */
  peakRssMb: Record<string, number>;
  /** Resident memory at the end of the phase. */
  endRssMb: Record<string, number>;
}

/** Two phases' usage as one: CPU adds up, peaks take the higher, the end is the later phase's. */
export function addUsage(earlier: PhaseUsage | undefined, later: PhaseUsage): PhaseUsage {
  if (!earlier) return later;
  const sum: PhaseUsage = { cpuMs: { ...later.cpuMs }, peakRssMb: { ...later.peakRssMb }, endRssMb: { ...later.endRssMb } };
  for (const name of Object.keys(later.cpuMs)) {
    sum.cpuMs[name] += earlier.cpuMs[name] ?? 0;
    sum.peakRssMb[name] = Math.max(sum.peakRssMb[name], earlier.peakRssMb[name] ?? 0);
  }
  if (later.threadCpuMs) {
    sum.threadCpuMs = {};
    for (const [name, split] of Object.entries(later.threadCpuMs)) {
      const before = earlier.threadCpuMs?.[name];
      sum.threadCpuMs[name] = before ? addThreadCpu(before, split) : split;
    }
  }
  return sum;
}

/** How often resident memory is sampled; a peak between two samples can be missed. */
const RSS_SAMPLE_MS = 250;
/** How often the threads of the processes split by thread are read (a worker has about 20). */
const THREAD_SAMPLE_MS = 1_000;

/** Samples the named processes' memory while a phase runs and charges each its CPU time. */
export class UsageMeter {
  /** `byThread`: the names of the processes whose CPU is also split by thread (ThreadCpu). */
  constructor(
    private readonly pids: Record<string, number>,
    private readonly byThread: readonly string[] = [],
  ) {}

  async measure<T>(phase: () => Promise<T>): Promise<{ result: T; usage: PhaseUsage }> {
    const names = Object.keys(this.pids);
    const start = this.snapshot();
    const watches = this.byThread.filter((name) => this.pids[name] !== undefined).map((name) => [name, new ThreadWatch(this.pids[name])] as const);
    const peak: Record<string, number> = Object.fromEntries(names.map((name) => [name, start[name]?.rssMb ?? 0]));
    const timer = setInterval(() => {
      for (const [name, usage] of Object.entries(this.snapshot())) peak[name] = Math.max(peak[name], usage?.rssMb ?? 0);
    }, RSS_SAMPLE_MS);
    const threadTimer = watches.length > 0 ? setInterval(() => watches.forEach(([, watch]) => watch.read()), THREAD_SAMPLE_MS) : undefined;
    try {
      const result = await phase();
      const end = this.snapshot();
      const usage: PhaseUsage = { cpuMs: {}, peakRssMb: {}, endRssMb: {} };
      for (const name of names) {
        usage.cpuMs[name] = Math.round((end[name]?.cpuMs ?? 0) - (start[name]?.cpuMs ?? 0));
        usage.endRssMb[name] = Math.round(end[name]?.rssMb ?? 0);
        usage.peakRssMb[name] = Math.round(Math.max(peak[name], end[name]?.rssMb ?? 0));
      }
      if (watches.length > 0) usage.threadCpuMs = Object.fromEntries(watches.map(([name, watch]) => [name, watch.split(usage.cpuMs[name])]));
      return { result, usage };
    } finally {
      clearInterval(timer);
      clearInterval(threadTimer);
    }
  }

  private snapshot(): Record<string, Usage | null> {
    return Object.fromEntries(Object.entries(this.pids).map(([name, pid]) => [name, readUsage(pid)]));
  }
}
