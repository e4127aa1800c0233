/**
 * 待审批: the sub-accounts' payouts waiting for the main account (PENDING_APPROVAL), the ones whose
 * approval deadline comes first on top. Each links to its detail, where the main account approves
 * or rejects it.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, useAction } from '../shared/ui';
import { REASON_WORDS } from '../shared/words';

type Payout = Schemas['Payout'];

const PAGE_SIZE = 50;
/** Pages loaded at most in one view. */
const PAGES_MAX = 20;

const byDeadline = (a: Payout, b: Payout) => (a.approvalExpiresAt ?? '').localeCompare(b.approvalExpiresAt ?? '');

export function ApprovalsView() {
  const [items, setItems] = useState<Payout[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const { busy, error, run } = useAction();
  const load = (after: string | null) => run(async () => {
    const query = { status: 'PENDING_APPROVAL' as const, limit: PAGE_SIZE, ...(after ? { cursor: after } : {}) };
    const page = await must(api.GET('/v1/payouts', { params: { query } }));
    setItems([...(after ? items : []), ...page.items].sort(byDeadline));
    setCursor(page.nextCursor);
    setPages(after ? pages + 1 : 1);
    setLoaded(true);
  });
  useEffect(() => { void load(null); }, []);
  return (
    <section class="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">待审批的打款</h2>
      <p class="hint">子账号发起的大额打款已冻结金额，审批通过后才通知买家；超过审批截止时间未处理将自动驳回，款项退回准备金。</p>
      <div class="actions"><button type="button" class="secondary" disabled={busy} onClick={() => void load(null)}>刷新</button></div>
      <ErrorMessage error={error} />
      {loaded && items.length === 0 && <p>没有待审批的打款。</p>}
      {items.length > 0 && (
        <table>
          <thead><tr><th>发起时间</th><th>订单号</th><th class="num">金额</th><th>原因</th><th>发起人</th><th>审批截止</th><th>操作</th></tr></thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id} data-payout={p.id}>
                <td>{chinaTime(p.createdAt)}</td><td>{p.orderId}</td><td class="num"><Money fen={p.amount} /></td>
                <td>{REASON_WORDS[p.reason] ?? p.reason}</td><td>{p.initiatedBy}</td><td>{chinaTime(p.approvalExpiresAt)}</td>
                <td><a href={`#/payouts/${p.id}`}>审批 {p.orderId}</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && pages < PAGES_MAX && <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>加载更多</button>}
    </section>
  );
}
