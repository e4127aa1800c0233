/**
 * The benchmark's child processes (worker, API, the ceiling's worker and API) and what they cost:
 * resident memory and CPU time read from /proc, so that each process is measured on its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcess } from '../worker/temporal-dev-server';

const ROOT = path.join(__dirname, '..');

/** How long a child may take from spawn to being ready (tsx compiles on the fly). */
const READY_TIMEOUT_MS = 60_000;
/** How often a readiness probe is asked. */
const PROBE_EVERY_MS = 200;

/** Linux's USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream build. */
const CLOCK_TICKS_PER_S = 100;
const KB_PER_MB = 1_024;

export interface Service {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** A TypeScript entry point, relative to the repository root. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /**
   * The child is ready once it prints a stdout line starting with `line` (the ceiling's processes),
   * or once `probe` answers true (the product's, whose start-up lines are JSON logs that the
   * benchmark's LOG_LEVEL leaves out).
   */
  ready: { line: string } | { probe: () => Promise<boolean> };
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
}

/** Every child dies with the benchmark, however it ends (a watchdog, Ctrl-C, a crash). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function spawnService(options: SpawnOptions): Promise<Service> {
  const args = [...(options.nodeFlags ?? []), '--import', 'tsx', path.join(ROOT, options.entry)];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await waitForReady(child, options);
  return { name: options.name, child, stop: () => stopProcess(child) };
}

function waitForReady(child: ChildProcess, options: SpawnOptions): Promise<void> {
  const { ready } = options;
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const awaited = 'line' in ready ? `the line "${ready.line}"` : 'a ready probe';
    const timer = setTimeout(() => settle(new Error(`${options.name} gave no ${awaited} within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onExit = (code: number | null) => settle(new Error(`${options.name} exited with ${code} before it was ready`));
    let settled = false;
    function settle(err?: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    child.once('exit', onExit);
    // Besides the ready line, the child's output is passed on, prefixed, so that warnings stay visible.
    lines.on('line', (line) => {
      if (!settled && 'line' in ready && line.startsWith(ready.line)) return settle();
      process.stderr.write(`[${options.name}] ${line}\n`);
    });
    if ('probe' in ready) void probeUntilReady(ready.probe, () => settled, settle);
  });
}

async function probeUntilReady(probe: () => Promise<boolean>, settled: () => boolean, settle: () => void): Promise<void> {
  while (!settled()) {
    if (await probe().catch(() => false)) return settle();
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
}

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
