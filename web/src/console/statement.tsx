/**
 * The reserve statement: every ledger movement with its memo (payouts carry 小额打款), filtered by
 * China days and kind, page by page, and the same filters as CSV.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, useAction } from '../shared/ui';
import { MOVEMENT_WORDS } from '../shared/words';
import { chinaDayStart, downloadCsv } from './csv-download';
import { WordsFilter } from './fields';

type Kind = Schemas['MovementKind'];
type Query = { sellerId?: string; from?: string; to?: string; kind?: Kind };

const PAGE_SIZE = 50;
/** Pages loaded at most in one view. */
const PAGES_MAX = 20;

interface Filters { sellerId: string; from: string; to: string; kind: string }

function toQuery(f: Filters, isAuditor: boolean): Query {
  const query: Query = {
    sellerId: isAuditor && f.sellerId.trim() ? f.sellerId.trim() : undefined,
    from: f.from ? chinaDayStart(f.from) : undefined,
    to: f.to ? chinaDayStart(f.to, 1) : undefined,
    kind: (f.kind || undefined) as Kind | undefined,
  };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as Query;
}

function Movements({ items }: { items: Schemas['Movement'][] }) {
  if (items.length === 0) return <p>没有符合条件的资金变动。</p>;
  return (
    <table>
      <thead><tr><th>时间</th><th>类型</th><th class="num">金额</th><th>备注</th><th class="num">可用余额</th><th class="num">冻结</th></tr></thead>
      <tbody>
        {items.map((m) => (
          <tr key={m.id}>
            <td>{chinaTime(m.createdAt)}</td><td>{MOVEMENT_WORDS[m.kind] ?? m.kind}</td><td class="num"><Money fen={m.amount} /></td>
            <td>{m.memo}</td><td class="num"><Money fen={m.availableAfter} /></td><td class="num"><Money fen={m.heldAfter} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function StatementView({ isAuditor }: { isAuditor: boolean }) {
  const [filters, setFilters] = useState<Filters>({ sellerId: '', from: '', to: '', kind: '' });
  const [items, setItems] = useState<Schemas['Movement'][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const { busy, error, run } = useAction();
  const set = (name: keyof Filters) => (e: Event) => setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const load = (after: string | null) => run(async () => {
    const query = { ...toQuery(filters, isAuditor), limit: PAGE_SIZE, ...(after ? { cursor: after } : {}) };
    const page = await must(api.GET('/v1/payout-account/statement', { params: { query } }));
    setItems(after ? [...items, ...page.items] : page.items);
    setCursor(page.nextCursor);
    setPages(after ? pages + 1 : 1);
  });
  useEffect(() => { if (!isAuditor) void load(null); }, []);
  return (
    <>
      <form class="card" onSubmit={(e) => { e.preventDefault(); void load(null); }} aria-labelledby="statement-title">
        <h2 id="statement-title">准备金对账单</h2>
        <div class="row">
          {isAuditor && <div class="field"><label for="st-seller">卖家</label><input id="st-seller" value={filters.sellerId} required onInput={set('sellerId')} /></div>}
          <WordsFilter id="st-kind" label="类型" words={MOVEMENT_WORDS} value={filters.kind} onChange={set('kind')} />
          <div class="field"><label for="st-from">开始日期（北京时间）</label><input id="st-from" type="date" value={filters.from} onInput={set('from')} /></div>
          <div class="field"><label for="st-to">结束日期（含）</label><input id="st-to" type="date" value={filters.to} onInput={set('to')} /></div>
          <button type="submit" disabled={busy}>查询</button>
          <button type="button" class="secondary" disabled={busy || (isAuditor && !filters.sellerId.trim())}
            onClick={() => run(() => downloadCsv('/v1/payout-account/statement.csv', toQuery(filters, isAuditor), 'statement'))}>导出 CSV</button>
        </div>
        <ErrorMessage error={error} />
      </form>
      <section class="card" aria-labelledby="movements-title">
        <h2 id="movements-title">资金变动</h2>
        <Movements items={items} />
        {cursor && pages < PAGES_MAX && <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>加载更多</button>}
        {cursor && pages >= PAGES_MAX && <p class="hint">记录较多，请缩小筛选范围或导出 CSV。</p>}
      </section>
    </>
  );
}
