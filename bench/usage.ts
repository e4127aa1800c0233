/**
 * What the benchmark's processes (worker, API, the ceiling's worker and API, Temporal, MariaDB)
 * cost: resident memory and CPU time read from /proc, so that each process is measured on its own.
 * They are started by the harness's toolkit (test/support/processes.ts).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

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
    // The command name may contain spaces and parentheses: the fields start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMb: rssKb / KB_PER_MB, cpuMs: (ticks * 1_000) / CLOCK_TICKS_PER_S };
  } catch {
    return null;
  }
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

export interface PhaseUsage {
  /** CPU time each process spent during the phase. */
  cpuMs: Record<string, number>;
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
  return sum;
}

/** How often resident memory is sampled; a peak between two samples can be missed. */
const RSS_SAMPLE_MS = 250;

/** Samples the named processes' memory while a phase runs and charges each its CPU time. */
export class UsageMeter {
  constructor(private readonly pids: Record<string, number>) {}

  async measure<T>(phase: () => Promise<T>): Promise<{ result: T; usage: PhaseUsage }> {
    const names = Object.keys(this.pids);
    const start = this.snapshot();
    const peak: Record<string, number> = Object.fromEntries(names.map((name) => [name, start[name]?.rssMb ?? 0]));
    const timer = setInterval(() => {
      for (const [name, usage] of Object.entries(this.snapshot())) peak[name] = Math.max(peak[name], usage?.rssMb ?? 0);
    }, RSS_SAMPLE_MS);
    try {
      const result = await phase();
      const end = this.snapshot();
      const usage: PhaseUsage = { cpuMs: {}, peakRssMb: {}, endRssMb: {} };
      for (const name of names) {
        usage.cpuMs[name] = Math.round((end[name]?.cpuMs ?? 0) - (start[name]?.cpuMs ?? 0));
        usage.endRssMb[name] = Math.round(end[name]?.rssMb ?? 0);
        usage.peakRssMb[name] = Math.round(Math.max(peak[name], end[name]?.rssMb ?? 0));
      }
      return { result, usage };
    } finally {
      clearInterval(timer);
    }
  }

  private snapshot(): Record<string, Usage | null> {
    return Object.fromEntries(Object.entries(this.pids).map(([name, pid]) => [name, readUsage(pid)]));
  }
}
