/**
 * Payout records: filters (status, reason, China days, order, buyer, operator), the summary of the
 * same range, the list page by page, and the CSV export of the same filters.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, useAction } from '../shared/ui';
import { REASON_WORDS, STATUS_WORDS } from '../shared/words';
import { chinaDayStart, downloadCsv } from './csv-download';
import { WordsFilter } from './fields';

type Payout = Schemas['Payout'];
type Status = Schemas['PayoutStatus'];
type Reason = Schemas['PayoutReason'];
type Query = { status?: Status; reason?: Reason; orderId?: string; buyerId?: string; initiatedBy?: string; sellerId?: string; createdFrom?: string; createdTo?: string };

/** Pages the list loads at most before asking the reader to narrow the filters. */
const PAGES_MAX = 20;
const PAGE_SIZE = 50;

interface Filters { status: string; reason: string; orderId: string; buyerId: string; initiatedBy: string; sellerId: string; from: string; to: string }
const NO_FILTERS: Filters = { status: '', reason: '', orderId: '', buyerId: '', initiatedBy: '', sellerId: '', from: '', to: '' };

function toQuery(f: Filters): Query {
  const text = (value: string) => (value.trim() ? value.trim() : undefined);
  const query: Query = {
    status: (f.status || undefined) as Status | undefined,
    reason: (f.reason || undefined) as Reason | undefined,
    orderId: text(f.orderId),
    buyerId: text(f.buyerId),
    initiatedBy: text(f.initiatedBy),
    sellerId: text(f.sellerId),
    createdFrom: f.from ? chinaDayStart(f.from) : undefined,
    createdTo: f.to ? chinaDayStart(f.to, 1) : undefined,
  };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as Query;
}

function Summary({ summary }: { summary: Schemas['PayoutSummary'] }) {
  return (
    <section class="card" aria-labelledby="summary-title">
      <h2 id="summary-title">汇总</h2>
      <p>共 <strong>{summary.total.count}</strong> 笔，合计 <strong><Money fen={summary.total.amount} /></strong>（{chinaTime(summary.createdFrom)} 至 {chinaTime(summary.createdTo)}）</p>
      <p class="hint">汇总只按日期范围统计，不受状态、原因、订单、买家和操作人筛选影响；未选日期时为最近 30 天。</p>
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

function FilterField({ id, label, children }: { id: string; label: string; children: ComponentChildren }) {
  return <div class="field"><label for={id}>{label}</label>{children}</div>;
}

export function RecordsView({ canExport, isAuditor }: { canExport: boolean; isAuditor: boolean }) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [items, setItems] = useState<Payout[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const [summary, setSummary] = useState<Schemas['PayoutSummary'] | null>(null);
  const { busy, error, run } = useAction();
  const set = (name: keyof Filters) => (e: Event) => setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
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
          <WordsFilter id="f-status" label="状态" words={STATUS_WORDS} value={filters.status} onChange={set('status')} />
          <WordsFilter id="f-reason" label="原因" words={REASON_WORDS} value={filters.reason} onChange={set('reason')} />
          <FilterField id="f-from" label="开始日期（北京时间）"><input id="f-from" type="date" value={filters.from} onInput={set('from')} /></FilterField>
          <FilterField id="f-to" label="结束日期（含）"><input id="f-to" type="date" value={filters.to} onInput={set('to')} /></FilterField>
          <FilterField id="f-order" label="订单号"><input id="f-order" value={filters.orderId} onInput={set('orderId')} /></FilterField>
          <FilterField id="f-buyer" label="买家"><input id="f-buyer" value={filters.buyerId} onInput={set('buyerId')} /></FilterField>
          <FilterField id="f-operator" label="操作人"><input id="f-operator" value={filters.initiatedBy} onInput={set('initiatedBy')} /></FilterField>
          {isAuditor && <FilterField id="f-seller" label="卖家"><input id="f-seller" value={filters.sellerId} onInput={set('sellerId')} /></FilterField>}
          <button type="submit" disabled={busy}>查询</button>
          {canExport && <button type="button" class="secondary" disabled={busy} onClick={() => run(() => downloadCsv('/v1/payouts/export.csv', toQuery(filters), 'payouts'))}>导出 CSV</button>}
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
