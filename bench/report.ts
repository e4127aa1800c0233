/**
 * What a scenario hands back, and how it is shown: a few lines for a person on stdout, the whole
 * report as a file, and the report again as the last stdout line (one JSON object) for scripts.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';

export interface Target {
  /** What is compared, e.g. `ratio >= 0.8`. */
  rule: string;
  actual: number;
  met: boolean;
}

export interface ScenarioReport {
  /** Headline numbers first: these are what the issue asks each scenario for. */
  headline: Record<string, unknown>;
  targets: Target[];
  /** Correctness checks (limits held exactly...): a false one makes the run fail. */
  checks: Record<string, boolean>;
  /** Everything else worth keeping: full latency summaries, per-process CPU, counters. */
  detail: Record<string, unknown>;
  /** A sentence or two a person reads first. */
  summaryLines: string[];
}

/** The 1-minute load average when the run started (module load) and when it reported. */
const startLoad = os.loadavg()[0];
const loadAverage = (atStart: number) => ({ atStart: Math.round(atStart * 10) / 10, atEnd: Math.round(os.loadavg()[0] * 10) / 10 });

export const atLeast = (rule: string, actual: number, min: number): Target => ({ rule: `${rule} >= ${min}`, actual, met: actual >= min });
export const atMost = (rule: string, actual: number, max: number): Target => ({ rule: `${rule} <= ${max}`, actual, met: actual <= max });

/** Prints and writes the report; answers whether every correctness check held. */
export function emitReport(scenario: string, report: ScenarioReport, reportPath: string): boolean {
  const object = {
    scenario,
    ...report.headline,
    targets: report.targets,
    checks: report.checks,
    detail: report.detail,
    // Other work on the machine skews every number: the load average says how much there was.
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: loadAverage(startLoad) },
    at: new Date().toISOString(),
  };
  writeFileSync(reportPath, `${JSON.stringify(object, null, 2)}\n`);
  for (const line of report.summaryLines) console.log(line);
  for (const target of report.targets) console.log(`target ${target.met ? 'met' : 'MISSED'}: ${target.rule} (actual ${target.actual})`);
  for (const [name, held] of Object.entries(report.checks)) console.log(`check ${held ? 'held' : 'FAILED'}: ${name}`);
  console.log(`report written to ${reportPath}`);
  console.log(JSON.stringify(object));
  return Object.values(report.checks).every(Boolean);
}
