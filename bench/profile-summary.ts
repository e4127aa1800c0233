/**
 * `npx tsx bench/profile-summary.ts .data/bench-profiles/<run> [bench-report.json]`: where the CPU
 * of each process of a `--profile` run went (issue 18), the product's processes beside the ceiling's.
 *
 * Each sample's time is charged to the code that caused it: the nearest frame on its stack that is
 * a package's (`node_modules/<package>`), ours (the folder under the project) or the workflow
 * bundle's, so that a socket write, a `JSON.stringify` or a crypto call counts for the package that
 * made it; what no such frame caused is Node's own (`node:` and native frames), and the garbage
 * collector and `(program)` (V8 outside JavaScript: compiling, the SDK's native calls returning)
 * are their own rows. Idle time is left out. A service's threads (the worker's workflow thread) are
 * summed.
 *
 * The lifecycle scenario writes `windows.json` beside the profiles: when each door's measured blocks
 * ran. Then only those blocks count (not the start-up, the warm-up or the accounting after), per
 * lifecycle of each process's own door; without it, whole profiles. Each row is a share of its
 * process's profiled time; with the run's report, the process's /proc CPU per lifecycle heads it.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock, as `monotonicUs` reads it (both CLOCK_MONOTONIC on Linux). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One measured block of one door: its span on the monotonic clock and the lifecycles it completed. */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
  lifecycles: number;
}

type Door = 'product' | 'ceiling';
type Windows = Record<Door, ProfileWindow[]>;

const WINDOWS_FILE = 'windows.json';

/** Now on the clock V8's profiler stamps its samples with. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export function writeProfileWindows(dir: string, windows: Windows): void {
  // Node makes the profiles' folders only when its processes exit, after this.
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, WINDOWS_FILE), JSON.stringify(windows));
}

/** The door a service of the stack (bench/stack.ts) serves. */
const doorOf = (service: string): Door => (service.startsWith('ceiling') ? 'ceiling' : 'product');

const ROOT = path.join(__dirname, '..');

/** The row a frame's own time belongs to, or undefined when its caller's row should take it. */
export function ownerOf(frame: CallFrame): string | undefined {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(program)') return 'program';
    if (functionName === '(idle)') return 'idle';
    return undefined;
  }
  if (url.startsWith('node:')) return undefined;
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const packageAt = file.lastIndexOf('/node_modules/');
  if (packageAt >= 0) {
    const [first, second] = file.slice(packageAt + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  if (file.includes('bundle')) return 'workflow bundle';
  if (file.startsWith(ROOT + '/')) return `ours: ${file.slice(ROOT.length + 1).split('/')[0]}`;
  return `other: ${path.basename(file)}`;
}

/** Milliseconds of CPU by row for one profile, of the samples inside `windows` when given. */
export function chargeByOwner(profile: CpuProfile, windows?: ProfileWindow[]): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const ownerCache = new Map<number, string>();
  const owner = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached) return cached;
    const own = ownerOf(byId.get(id)!.callFrame);
    const parent = parentOf.get(id);
    const found = own ?? (parent === undefined ? 'node' : owner(parent));
    ownerCache.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  const inside = (atUs: number) => !windows || windows.some((window) => atUs >= window.startUs && atUs < window.endUs);
  let atUs = profile.startTime;
  profile.samples.forEach((id, i) => {
    atUs += profile.timeDeltas[i] ?? 0;
    if (!inside(atUs)) return;
    const row = owner(id);
    totals.set(row, (totals.get(row) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  totals.delete('idle');
  return totals;
}

/** A service's rows over its threads, per lifecycle of its door when windows are given. */
function summarizeService(dir: string, windows: ProfileWindow[] | undefined): Map<string, number> {
  const sum = new Map<string, number>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    for (const [row, ms] of chargeByOwner(profile, windows)) sum.set(row, (sum.get(row) ?? 0) + ms);
  }
  const lifecycles = windows ? windows.reduce((n, window) => n + window.lifecycles, 0) : 1;
  return new Map([...sum].map(([row, ms]) => [row, ms / lifecycles]));
}

/** The lifecycle report's CPU ms per lifecycle of each process in its own door's blocks (UsageMeter's, from /proc). */
function measuredCpu(reportFile: string): Record<string, number> {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { detail: { cpuMsPerLifecycle: Record<Door, Record<string, number>> } };
  const { product, ceiling } = report.detail.cpuMsPerLifecycle;
  return { api: product.api, worker: product.worker, ceilingApi: ceiling.ceilingApi, ceilingWorker: ceiling.ceilingWorker };
}

function main(): void {
  const [runDir, reportFile] = process.argv.slice(2);
  if (!runDir) throw new Error('usage: npx tsx bench/profile-summary.ts .data/bench-profiles/<run> [bench-report.json]');
  const windowsFile = path.join(runDir, WINDOWS_FILE);
  const windows = statSync(windowsFile, { throwIfNoEntry: false }) ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as Windows) : undefined;
  const services = readdirSync(runDir).filter((name) => statSync(path.join(runDir, name)).isDirectory());
  const summaries = new Map(services.map((service) => [service, summarizeService(path.join(runDir, service), windows?.[doorOf(service)])]));
  const total = (summary: Map<string, number>) => [...summary.values()].reduce((a, b) => a + b, 0);
  // The profiler stamps wall time between samples (on a busy machine a thread waiting for a core
  // is charged too) and sees no thread but JavaScript's (not the SDK's Rust core, nor the
  // collector's helpers): the profile says how a process's JavaScript divides, in per cent; the
  // report's /proc figure, what the whole process spent.
  const measured = windows && reportFile ? measuredCpu(reportFile) : undefined;
  const share = (service: string, row: string) => (100 * (summaries.get(service)!.get(row) ?? 0)) / total(summaries.get(service)!);
  const rows = [...new Set([...summaries.values()].flatMap((summary) => [...summary.keys()]))];
  const largest = (row: string) => Math.max(...services.map((service) => share(service, row)));
  rows.sort((a, b) => largest(b) - largest(a));
  const line = (label: string, cells: string[]) => console.log(label.padEnd(32) + cells.map((cell) => cell.padStart(14)).join(''));
  line('', services);
  if (measured) line('CPU ms per lifecycle (/proc)', services.map((service) => measured[service]?.toFixed(1) ?? ''));
  line(windows ? 'profiled ms per lifecycle' : 'profiled ms', services.map((service) => total(summaries.get(service)!).toFixed(1)));
  line('% of the profiled time:', []);
  for (const row of rows.filter((row) => largest(row) >= 0.1)) line(`  ${row}`, services.map((service) => share(service, row).toFixed(1)));
}

if (require.main === module) main();
