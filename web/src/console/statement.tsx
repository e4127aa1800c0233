/** The reserve statement: every ledger movement with its memo (payouts carry 小额打款). */
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, useAction } from '../shared/ui';
import { MOVEMENT_WORDS } from '../shared/words';

const PAGE_SIZE = 50;
/** Pages loaded at most in one view. */
const PAGES_MAX = 20;

export function StatementView({ isAuditor }: { isAuditor: boolean }) {
  const [sellerId, setSellerId] = useState('');
  const [items, setItems] = useState<Schemas['Movement'][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const { busy, error, run } = useAction();
  const load = (after: string | null) => run(async () => {
    const query = { limit: PAGE_SIZE, ...(after ? { cursor: after } : {}), ...(isAuditor && sellerId.trim() ? { sellerId: sellerId.trim() } : {}) };
    const page = await must(api.GET('/v1/payout-account/statement', { params: { query } }));
    setItems(after ? [...items, ...page.items] : page.items);
    setCursor(page.nextCursor);
    setPages(after ? pages + 1 : 1);
  });
  useEffect(() => { if (!isAuditor) void load(null); }, []);
  return (
    <section class="card" aria-labelledby="statement-title">
      <h2 id="statement-title">准备金对账单</h2>
      {isAuditor && (
        <form class="row" onSubmit={(e) => { e.preventDefault(); void load(null); }}>
          <div class="field"><label for="st-seller">卖家</label><input id="st-seller" value={sellerId} required onInput={(e) => setSellerId(e.currentTarget.value)} /></div>
          <button type="submit" disabled={busy}>查询</button>
        </form>
      )}
      <ErrorMessage error={error} />
      {items.length === 0 ? <p>暂无资金变动。</p> : (
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
      )}
      {cursor && pages < PAGES_MAX && <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>加载更多</button>}
    </section>
  );
}
