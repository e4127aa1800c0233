/**
 * Payout records: filters (status, China days, order, operator), the summary of the same range,
 * the list page by page, and the CSV export (fetched with the bearer token, then saved).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, must, storedToken, ApiError, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, useAction } from '../shared/ui';
import { REASON_WORDS, STATUS_WORDS } from '../shared/words';

type Payout = Schemas['Payout'];
type Status = Schemas['PayoutStatus'];
type Query = { status?: Status; orderId?: string; initiatedBy?: string; sellerId?: string; createdFrom?: string; createdTo?: string };

const DAY_MS = 86_400_000;
/** Pages the list loads at most before asking the reader to narrow the filters. */
const PAGES_MAX = 20;
const PAGE_SIZE = 50;

/** A China calendar day (yyyy-mm-dd) as the instant it starts; China keeps no daylight saving time. */
function chinaDayStart(day: string, plusDays = 0): string {
  return new Date(new Date(`${day}T00:00:00+08:00`).getTime() + plusDays * DAY_MS).toISOString();
}

interface Filters { status: string; orderId: string; initiatedBy: string; sellerId: string; from: string; to: string }

function toQuery(f: Filters): Query {
  return {
    ...(f.status ? { status: f.status as Status } : {}),
    ...(f.orderId.trim() ? { orderId: f.orderId.trim() } : {}),
    ...(f.initiatedBy.trim() ? { initiatedBy: f.initiatedBy.trim() } : {}),
    ...(f.sellerId.trim() ? { sellerId: f.sellerId.trim() } : {}),
    ...(f.from ? { createdFrom: chinaDayStart(f.from) } : {}),
    ...(f.to ? { createdTo: chinaDayStart(f.to, 1) } : {}),
  };
}

function Summary({ summary }: { summary: Schemas['PayoutSummary'] }) {
  return (
    <section class="card" aria-labelledby="summary-title">
      <h2 id="summary-title">汇总</h2>
      <p>共 <strong>{summary.total.count}</strong> 笔，合计 <strong><Money fen={summary.total.amount} /></strong>（{chinaTime(summary.createdFrom)} 至 {chinaTime(summary.createdTo)}）</p>
      {summary.byStatus.length > 0 && (
        <table>
          <caption class="sr-only">按状态汇总</caption>
          <thead><tr><th>状态</th><th class="num">笔数</th><th class="num">金额</th></tr></thead>
          <tbody>{summary.byStatus.map((s) => <tr key={s.status}><td>{STATUS_WORDS[s.status] ?? s.status}</td><td class="num">{s.count}</td><td class="num"><Money fen={s.amount} /></td></tr>)}</tbody>
        </table>
      )}
    </section>
  );
}

async function downloadCsv(query: Query): Promise<void> {
  const url = new URL('/v1/payouts/export.csv', location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${storedToken() ?? ''}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } & Record<string, unknown> };
    throw new ApiError(response.status, body.error?.code ?? `HTTP_${response.status}`, body.error ?? {});
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `payouts-${new Date().toISOString().slice(0, 10)}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

function FilterField({ id, label, children }: { id: string; label: string; children: ComponentChildren }) {
  return <div class="field"><label for={id}>{label}</label>{children}</div>;
}

export function RecordsView({ canExport, isAuditor }: { canExport: boolean; isAuditor: boolean }) {
  const [filters, setFilters] = useState<Filters>({ status: '', orderId: '', initiatedBy: '', sellerId: '', from: '', to: '' });
  const [items, setItems] = useState<Payout[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const [summary, setSummary] = useState<Schemas['PayoutSummary'] | null>(null);
  const { busy, error, run } = useAction();
  const set = (name: keyof Filters) => (e: Event) => setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement).value });
  const search = () => run(async () => {
    const query = toQuery(filters);
    const [page, sums] = await Promise.all([
      must(api.GET('/v1/payouts', { params: { query: { ...query, limit: PAGE_SIZE } } })),
      must(api.GET('/v1/payouts/summary', { params: { query: { sellerId: query.sellerId, createdFrom: query.createdFrom, createdTo: query.createdTo } } })),
    ]);
    setItems(page.items);
    setCursor(page.nextCursor);
    setPages(1);
    setSummary(sums);
  });
  const more = () => run(async () => {
    const page = await must(api.GET('/v1/payouts', { params: { query: { ...toQuery(filters), limit: PAGE_SIZE, cursor: cursor ?? undefined } } }));
    setItems([...items, ...page.items]);
    setCursor(page.nextCursor);
    setPages(pages + 1);
  });
  useEffect(() => { if (!isAuditor) void search(); }, []);
  return (
    <>
      <form class="card" onSubmit={(e) => { e.preventDefault(); void search(); }} aria-labelledby="filters-title">
        <h2 id="filters-title">打款记录</h2>
        <div class="row">
          <FilterField id="f-status" label="状态">
            <select id="f-status" value={filters.status} onChange={set('status')}>
              <option value="">全部</option>
              {Object.entries(STATUS_WORDS).map(([code, words]) => <option key={code} value={code}>{words}</option>)}
            </select>
          </FilterField>
          <FilterField id="f-from" label="开始日期（北京时间）"><input id="f-from" type="date" value={filters.from} onInput={set('from')} /></FilterField>
          <FilterField id="f-to" label="结束日期（含）"><input id="f-to" type="date" value={filters.to} onInput={set('to')} /></FilterField>
          <FilterField id="f-order" label="订单号"><input id="f-order" value={filters.orderId} onInput={set('orderId')} /></FilterField>
          <FilterField id="f-operator" label="操作人"><input id="f-operator" value={filters.initiatedBy} onInput={set('initiatedBy')} /></FilterField>
          {isAuditor && <FilterField id="f-seller" label="卖家"><input id="f-seller" value={filters.sellerId} onInput={set('sellerId')} /></FilterField>}
          <button type="submit" disabled={busy}>查询</button>
          {canExport && <button type="button" class="secondary" disabled={busy} onClick={() => run(() => downloadCsv(toQuery(filters)))}>导出 CSV</button>}
        </div>
        <ErrorMessage error={error} />
      </form>
      {summary && <Summary summary={summary} />}
      <section class="card" aria-labelledby="list-title">
        <h2 id="list-title">记录列表</h2>
        {items.length === 0 ? <p>没有符合条件的打款。</p> : (
          <table>
            <thead><tr><th>发起时间</th><th>订单号</th><th class="num">金额</th><th>原因</th><th>状态</th><th>操作人</th><th>详情</th></tr></thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-payout={p.id}>
                  <td>{chinaTime(p.createdAt)}</td><td>{p.orderId}</td><td class="num"><Money fen={p.amount} /></td>
                  <td>{REASON_WORDS[p.reason] ?? p.reason}</td>
                  <td><span class={`status ${p.status}`} data-status={p.status}>{STATUS_WORDS[p.status] ?? p.status}</span></td>
                  <td>{p.initiatedBy}</td>
                  <td><a href={`#/payouts/${p.id}`}>查看 {p.orderId}</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && pages < PAGES_MAX && <button type="button" class="secondary" disabled={busy} onClick={() => void more()}>加载更多</button>}
        {cursor && pages >= PAGES_MAX && <p class="hint">记录较多，请缩小筛选范围或导出 CSV。</p>}
      </section>
    </>
  );
}
