/** SPEC §7: the payout records beyond the list: the summary by status and China day, and the CSV export. */
import type { Payout } from '../../db/payouts/entities';
import { SUMMARY_RANGE_DAYS_MAX, exceedsRows, payoutRows, summaryRows, type PayoutFilter, type PayoutSummaryRow } from '../../db/payouts/queries';
import { DomainError } from '../../domain/errors';
import { optionalId } from '../../domain/id';
import { formatYuan } from '../../domain/money';
import { PAYOUT_STATUSES } from '../../domain/payout';
import { chinaDay, chinaDayStart, shiftDay } from '../../domain/time';
import type { Principal } from '../auth';
import { boundedCsvExport, type CsvCell } from '../csv';
import { instantParam } from '../query-dates';
import { principalOf, type Handler, type QueryParams, type Schemas } from '../types';
import { sellerOf } from './scope';

const DAY_MS = 86_400_000;
/** Without bounds, a summary covers the last 30 whole China days, today included. */
const SUMMARY_DEFAULT_DAYS = 30;

type RecordQuery = QueryParams<'listPayouts'> | QueryParams<'exportPayouts'>;

/** The record filters of the list and the export: sellers see their own, auditors whom they name (or all). */
export function recordFilter(principal: Principal, q: RecordQuery): PayoutFilter {
  return {
    sellerId: principal.role === 'auditor' ? optionalId(q.sellerId) : sellerOf(principal),
    status: q.status,
    reason: q.reason,
    buyerId: optionalId(q.buyerId),
    orderId: optionalId(q.orderId),
    initiatedBy: optionalId(q.initiatedBy),
    createdFrom: instantParam(q.createdFrom, 'createdFrom'),
    createdTo: instantParam(q.createdTo, 'createdTo'),
  };
}

/** The summary's range: the bounds given, else the defaults; never longer than the bound. */
function summaryRange(q: QueryParams<'getPayoutSummary'>, now: Date): { from: Date; to: Date } {
  const to = instantParam(q.createdTo, 'createdTo') ?? chinaDayStart(shiftDay(chinaDay(now), 1));
  const from = instantParam(q.createdFrom, 'createdFrom') ?? new Date(to.getTime() - SUMMARY_DEFAULT_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new DomainError('VALIDATION_ERROR', 'createdFrom must come before createdTo', { field: 'query.createdFrom' });
  if (to.getTime() - from.getTime() > SUMMARY_RANGE_DAYS_MAX * DAY_MS) {
    throw new DomainError('VALIDATION_ERROR', `a summary covers at most ${SUMMARY_RANGE_DAYS_MAX} days`, { field: 'query.createdFrom', rangeDaysMax: SUMMARY_RANGE_DAYS_MAX });
  }
  return { from, to };
}

/** Folds the (day, status) rows into totals by status (in lifecycle order) and by day (oldest first). */
function foldSummary(rows: PayoutSummaryRow[]): Pick<Schemas['PayoutSummary'], 'total' | 'byStatus' | 'byDay'> {
  const total = { count: 0, amount: 0 };
  const byStatus = new Map<string, { count: number; amount: number }>();
  const byDay = new Map<string, { count: number; amount: number }>();
  for (const row of rows) {
    for (const tally of [total, getOrAdd(byStatus, row.status), getOrAdd(byDay, row.chinaDay)]) {
      tally.count += row.count;
      tally.amount += row.amountFen;
    }
  }
  return {
    total,
    byStatus: PAYOUT_STATUSES.filter((s) => byStatus.has(s)).map((status) => ({ status, ...byStatus.get(status)! })),
    byDay: [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, tally]) => ({ day, ...tally })),
  };
}

function getOrAdd(map: Map<string, { count: number; amount: number }>, key: string) {
  let tally = map.get(key);
  if (!tally) map.set(key, (tally = { count: 0, amount: 0 }));
  return tally;
}

export const getPayoutSummary: Handler<'getPayoutSummary'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = principal.role === 'auditor' ? optionalId(call.query.sellerId) ?? null : sellerOf(principal);
  const { from, to } = summaryRange(call.query, call.deps.clock.now());
  const rows = await summaryRows(call.em, sellerId, from, to);
  return { status: 200, body: { sellerId, createdFrom: from.toISOString(), createdTo: to.toISOString(), ...foldSummary(rows) } };
};

export const EXPORT_HEADER = [
  'id', 'orderId', 'sellerId', 'buyerId', 'amountYuan', 'reason', 'note', 'status', 'initiatedBy', 'chinaDay',
  'createdAt', 'expiresAt', 'confirmedAt', 'paidAt', 'closedAt', 'approvalExpiresAt', 'approvedAt',
] as const;

const iso = (at: Date | null) => (at ? at.toISOString() : null);

function toCsvCells(p: Payout): CsvCell[] {
  return [
    p.id, p.orderId, p.sellerId, p.buyerId, formatYuan(p.amountFen), p.reason, p.note, p.status, p.initiatedBy, p.chinaDay,
    iso(p.createdAt), iso(p.expiresAt), iso(p.confirmedAt), iso(p.paidAt), iso(p.closedAt), iso(p.approvalExpiresAt), iso(p.approvedAt),
  ];
}

/** The records as CSV (api/csv.ts: bounded before the first byte, streamed page by page). */
export const exportPayouts: Handler<'exportPayouts'> = async (call) => {
  const filter = recordFilter(principalOf(call), call.query);
  return boundedCsvExport({ noun: 'payouts', tooLarge: exceedsRows(call.em, filter), rows: () => payoutRows(call.em, filter) }, EXPORT_HEADER, toCsvCells);
};
