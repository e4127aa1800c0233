/**
 * List: latency of GET /v1/payouts over a million payout rows (see list-data.ts), first pages with
 * and without filters, cursor pages, as a seller and as an auditor; and of GET /v1/payouts/summary
 * when the API has it (a 4xx answer means it does not exist yet: skipped, and said so): the heavy
 * seller's default month, and an auditor's month across all sellers, on China day boundaries and off them.
 *
 * Requests go one at a time by default (`--concurrency` raises it): this is about each query's
 * plan on a big table, not about throughput.
 */
import { issueToken, type JwtKey } from '../../api/auth';
import type { BenchArgs } from '../args';
import { connectDatabase } from '../database';
import { HttpFailure, JsonClient } from '../../test/support/json-client';
import { insertPayoutRows, type ListData } from '../list-data';
import { atMost, type ScenarioReport } from '../report';
import { startStack } from '../stack';
import { chinaDay, chinaDayStart, shiftDay } from '../../domain/time';
import { FailureCounts, round, runPool, summarize, type LatencySummary } from '../stats';

/** Requests timed per query. */
const SAMPLES_PER_QUERY = 200;
/** Untimed requests per query first, so that the first sample does not pay for a cold cache. */
const WARMUP_PER_QUERY = 5;
const PAGE_SIZE = 20;
const LIST_P99_MS_MAX = 50;
const DAY_MS = 86_400_000;

interface Query {
  name: string;
  token: string;
  /** Path and query string of the next sample (a cursor walk moves on at each call). */
  path: () => Promise<string> | string;
}

export async function listScenario(args: BenchArgs, deadlineMs: number): Promise<ScenarioReport> {
  const stack = await startStack({ database: args.database, keepDatabase: args.keepDatabase, confirmWindow: '1h', worker: false, ceiling: false, profile: args.profile, temporalStore: args.temporalStore });
  const api = new JsonClient(stack.apiUrl, args.concurrency);
  try {
    const db = await connectDatabase(stack.databaseName);
    const started = performance.now();
    const data = await insertPayoutRows(db, stack.runId, args.rows, (line) => process.stderr.write(`bench: inserted ${line}\n`)).finally(() => db.end());
    const insertS = round((performance.now() - started) / 1_000);
    const queries = await listQueries(api, stack.jwtSecret, data);
    const results: Record<string, LatencySummary & { failures: Record<string, number> }> = {};
    for (const query of queries) {
      if (performance.now() > deadlineMs) break;
      results[query.name] = await timeQuery(api, query, args.concurrency, deadlineMs);
    }
    const summaries = summaryQueries(queries[0].token, await auditorToken(stack.jwtSecret, data), data);
    const summary = await timeSummaries(api, summaries, args.concurrency, deadlineMs);
    return buildReport(args, data, insertS, results, summary);
  } finally {
    api.close();
    await stack.stop();
  }
}

async function listQueries(api: JsonClient, secret: JwtKey, data: ListData): Promise<Query[]> {
  const heavy = await issueToken(secret, { sub: data.heavySellerId, role: 'seller' });
  const light = await issueToken(secret, { sub: data.lightSellerId, role: 'seller' });
  const auditor = await auditorToken(secret, data);
  const weekFrom = new Date(data.newestAt.getTime() - 30 * DAY_MS).toISOString();
  const weekTo = new Date(data.newestAt.getTime() - 23 * DAY_MS).toISOString();
  const page = `limit=${PAGE_SIZE}`;
  return [
    { name: 'seller first page', token: heavy, path: () => `/v1/payouts?${page}` },
    { name: 'seller cursor pages', token: heavy, path: cursorWalk(api, heavy, `/v1/payouts?${page}`) },
    { name: 'seller status=EXPIRED', token: heavy, path: () => `/v1/payouts?${page}&status=EXPIRED` },
    { name: 'seller status=EXPIRED cursor pages', token: heavy, path: cursorWalk(api, heavy, `/v1/payouts?${page}&status=EXPIRED`) },
    { name: 'seller one week', token: heavy, path: () => `/v1/payouts?${page}&createdFrom=${weekFrom}&createdTo=${weekTo}` },
    { name: 'seller initiatedBy sub-account', token: heavy, path: () => `/v1/payouts?${page}&initiatedBy=${data.heavyOperatorId}` },
    { name: 'seller orderId', token: heavy, path: () => `/v1/payouts?${page}&orderId=${data.heavyOrderId}` },
    { name: 'light seller first page', token: light, path: () => `/v1/payouts?${page}` },
    { name: 'auditor first page (all sellers)', token: auditor, path: () => `/v1/payouts?${page}` },
    { name: 'auditor cursor pages (all sellers)', token: auditor, path: cursorWalk(api, auditor, `/v1/payouts?${page}`) },
    { name: 'auditor status=FAILED (all sellers)', token: auditor, path: () => `/v1/payouts?${page}&status=FAILED` },
    { name: 'auditor one seller', token: auditor, path: () => `/v1/payouts?${page}&sellerId=${data.heavySellerId}` },
  ];
}

const auditorToken = (secret: JwtKey, data: ListData) => issueToken(secret, { sub: `${data.tag}-auditor`, role: 'auditor' });

/**
 * The summaries timed: the heavy seller's default (the last 30 China days), and an auditor's month
 * over every seller (330,000 rows at a million), once as 30 whole China days and once shifted by
 * half a day, whose two partial days cost more than whole ones would.
 */
function summaryQueries(seller: string, auditor: string, data: ListData): Query[] {
  const firstDay = shiftDay(chinaDay(data.newestAt), -40);
  const from = chinaDayStart(firstDay);
  const to = chinaDayStart(shiftDay(firstDay, 30));
  const halfDay = (at: Date) => new Date(at.getTime() + DAY_MS / 2).toISOString();
  return [
    { name: 'summary', token: seller, path: () => '/v1/payouts/summary' },
    { name: 'auditor month (all sellers)', token: auditor, path: () => `/v1/payouts/summary?createdFrom=${from.toISOString()}&createdTo=${to.toISOString()}` },
    { name: 'auditor month off day boundaries (all sellers)', token: auditor, path: () => `/v1/payouts/summary?createdFrom=${halfDay(from)}&createdTo=${halfDay(to)}` },
  ];
}

/**
 * Each sample reads the page after the one before, following nextCursor (the untimed request
 * fetches the cursor), so that every timed request is a cursor page, deeper and deeper; past the
 * last page the walk starts again from the first.
 */
function cursorWalk(api: JsonClient, token: string, base: string): () => Promise<string> {
  let cursor: string | null = null;
  return async () => {
    const from: string = cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : base;
    const body = (await api.expect(200, 'GET', from, { token })) as { nextCursor: string | null };
    cursor = body.nextCursor;
    return cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : base;
  };
}

async function timeQuery(api: JsonClient, query: Query, concurrency: number, deadlineMs: number) {
  const latencies: number[] = [];
  const failures = new FailureCounts();
  await runPool(WARMUP_PER_QUERY + SAMPLES_PER_QUERY, concurrency, deadlineMs, async (i) => {
    try {
      const path = await query.path();
      const t0 = performance.now();
      const res = await api.request('GET', path, { token: query.token });
      if (res.status !== 200) return failures.add(String(res.status));
      if (i >= WARMUP_PER_QUERY) latencies.push(performance.now() - t0);
    } catch (err) {
      failures.add(err instanceof HttpFailure ? err.code : 'CLIENT_ERROR');
    }
  });
  process.stderr.write(`bench: ${query.name}: p50 ${summarize(latencies).p50Ms} ms, p99 ${summarize(latencies).p99Ms} ms\n`);
  return { ...summarize(latencies), failures: failures.toJSON() };
}

type SummaryLatency = LatencySummary & { failures: Record<string, number> };

/** The summary endpoint may not exist yet: any 4xx to a plain request means skip it. */
async function timeSummaries(api: JsonClient, summaries: Query[], concurrency: number, deadlineMs: number) {
  const probe = await api.request('GET', '/v1/payouts/summary', { token: summaries[0].token });
  if (probe.status !== 200) return { skipped: true as const, status: probe.status, body: probe.body };
  const perQuery: Record<string, SummaryLatency> = {};
  for (const query of summaries) {
    if (performance.now() > deadlineMs) break;
    perQuery[query.name] = await timeQuery(api, query, concurrency, deadlineMs);
  }
  return { skipped: false as const, ...perQuery.summary, perQuery };
}

function buildReport(
  args: BenchArgs,
  data: ListData,
  insertS: number,
  results: Record<string, LatencySummary>,
  summary: Awaited<ReturnType<typeof timeSummaries>>,
): ScenarioReport {
  const entries = Object.entries(results);
  const worst = entries.reduce((a, b) => (b[1].p99Ms > a[1].p99Ms ? b : a));
  const p99 = (name: string) => results[name]?.p99Ms ?? 0;
  const headline = {
    rows: data.rows,
    concurrency: args.concurrency,
    listFirstPageP50Ms: results['seller first page']?.p50Ms ?? 0,
    listFirstPageP99Ms: p99('seller first page'),
    listFilteredP99Ms: Math.max(p99('seller status=EXPIRED'), p99('seller one week'), p99('seller initiatedBy sub-account'), p99('seller orderId')),
    listCursorP99Ms: p99('seller cursor pages'),
    listWorstP99Ms: worst[1].p99Ms,
    listWorstQuery: worst[0],
    summaryP99Ms: summary.skipped ? null : summary.p99Ms,
    auditorMonthP99Ms: summary.skipped ? null : summary.perQuery['auditor month (all sellers)']?.p99Ms ?? null,
    auditorMonthOffBoundariesP99Ms: summary.skipped ? null : summary.perQuery['auditor month off day boundaries (all sellers)']?.p99Ms ?? null,
    summarySkipped: summary.skipped ? `GET /v1/payouts/summary answered ${summary.status}: not implemented yet` : false,
  };
  const summaries = summary.skipped ? [] : Object.entries(summary.perQuery);
  return {
    headline,
    targets: [...entries, ...summaries].map(([name, latency]) => atMost(`${name} p99 ms`, latency.p99Ms, LIST_P99_MS_MAX)),
    checks: {
      'every list query answered 200': entries.every(([, latency]) => latency.count === SAMPLES_PER_QUERY),
      'every summary answered 200': summaries.every(([, latency]) => latency.count === SAMPLES_PER_QUERY),
    },
    detail: { perQuery: results, summary, insertSeconds: insertS, data },
    summaryLines: [
      `list over ${data.rows} rows (inserted in ${insertS} s): first page p50 ${headline.listFirstPageP50Ms} ms p99 ${headline.listFirstPageP99Ms} ms; worst p99 ${headline.listWorstP99Ms} ms (${headline.listWorstQuery})`,
      summary.skipped ? `summary skipped: ${headline.summarySkipped}` : `summary p99 ${headline.summaryP99Ms} ms; auditor month p99 ${headline.auditorMonthP99Ms} ms (off day boundaries ${headline.auditorMonthOffBoundariesP99Ms} ms)`,
    ],
  };
}
