/**
 * The order list with the payout entry only on eligible orders, as the tool page, the order detail
 * and the Qianniu list show it. The API has no order listing (the trade system owns orders), so the
 * list is the orders the seller looked up here by number, kept for this tab; their eligibility comes
 * from one batch call. The payout form shows the largest amount allowed and refuses in words.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, must, newIdempotencyKey, type Schemas } from '../shared/api';
import { formatYuan } from '../shared/money';
import { ErrorMessage, Money, Notice, useAction } from '../shared/ui';
import { INELIGIBLE_WORDS, REASON_WORDS, type PayoutReason } from '../shared/words';
import { fenOf, YuanField } from './fields';
import { parseOrderIds } from './orders-input';

type Eligibility = Schemas['Eligibility'];
type Account = Schemas['PayoutAccount'];

/** The batch eligibility call's bound (openapi.yaml: at most 100 order ids). */
export const ELIGIBILITY_BATCH_MAX = 100;
const LIST_KEY = 'payouts.console.orders';

function storedOrderIds(): string[] {
  try {
    const ids = JSON.parse(sessionStorage.getItem(LIST_KEY) ?? '[]') as unknown;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string').slice(0, ELIGIBILITY_BATCH_MAX) : [];
  } catch {
    return [];
  }
}


function PayoutForm({ eligibility, account, isSub, onCreated, onCancel }: { eligibility: Eligibility; account: Account | null; isSub: boolean; onCreated: (p: Schemas['Payout']) => void; onCancel: () => void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState<PayoutReason>('PRICE_DIFFERENCE');
  const [note, setNote] = useState('');
  const [key] = useState(newIdempotencyKey);
  const { busy, error, run } = useAction();
  const limits = account?.limits ?? account?.systemCaps;
  // Only a sub-account's payouts wait for approval (SPEC §5); the main account's never do.
  const approvalFrom = isSub ? account?.approvalPolicy.subAccountThreshold ?? null : null;
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { orderId: eligibility.orderId, amount: fenOf('打款金额', amount), reason, ...(note.trim() ? { note: note.trim() } : {}) };
      onCreated(await must(api.POST('/v1/payouts', { params: { header: { 'Idempotency-Key': key } }, body })));
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="payout-form">
      <h2 id="payout-form">给订单 {eligibility.orderId} 的买家打款</h2>
      <p>本单最多可打 <strong data-testid="max-amount"><Money fen={eligibility.maxAmount} /></strong>（实付现金的50%，红包、优惠券不计入{limits ? `；单笔上限 ${formatYuan(limits.perPayoutAmount)}` : ''}）。
        {account && <> 准备金可用余额 <Money fen={account.balance.available} />。</>}</p>
      {approvalFrom !== null && <p class="hint">单笔达到 {formatYuan(approvalFrom)} 的打款需主账号审批，审批通过后才通知买家。</p>}
      <div class="row">
        <YuanField label="打款金额" value={amount} onInput={setAmount} />
        <div class="field">
          <label for="reason">打款原因</label>
          <select id="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value as PayoutReason)}>
            {Object.entries(REASON_WORDS).map(([code, words]) => <option key={code} value={code}>{words}</option>)}
          </select>
        </div>
      </div>
      <div class="field">
        <label for="note">给买家的留言（选填，最多200字）</label>
        <textarea id="note" rows={2} maxLength={200} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </div>
      <div class="actions">
        <button type="submit" disabled={busy}>确认打款</button>
        <button type="button" class="secondary" onClick={onCancel}>取消</button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

export function OrdersView({ account, isSub, onPaid }: { account: Account | null; isSub: boolean; onPaid: () => void }) {
  const [ids, setIds] = useState<string[]>(storedOrderIds);
  const [search, setSearch] = useState('');
  const [rows, setRows] = useState<Eligibility[]>([]);
  const [paying, setPaying] = useState<Eligibility | null>(null);
  const [created, setCreated] = useState<Schemas['Payout'] | null>(null);
  const { busy, error, run, setError } = useAction();
  const refresh = (list: string[]) => run(async () => {
    setRows(list.length === 0 ? [] : (await must(api.POST('/v1/orders/payout-eligibility', { body: { orderIds: list } }))).items);
  });
  useEffect(() => { void refresh(ids); }, []);
  const submit = (event: Event) => {
    event.preventDefault();
    const { ids: found, invalid } = parseOrderIds(search);
    if (invalid.length > 0) return setError(new Error(`订单号格式不正确：${invalid.join('、')}`));
    // The searched orders come first; the list keeps its bound by dropping the oldest.
    const next = [...found, ...ids.filter((id) => !found.includes(id))].slice(0, ELIGIBILITY_BATCH_MAX);
    sessionStorage.setItem(LIST_KEY, JSON.stringify(next));
    setIds(next);
    setSearch('');
    void refresh(next);
  };
  return (
    <>
      <form class="card" role="search" onSubmit={submit} aria-labelledby="search-title">
        <h2 id="search-title">按订单号查找</h2>
        <div class="row">
          <div class="field">
            <label for="order-search">订单号（可一次输入多个，用空格或逗号分隔）</label>
            <input id="order-search" size={48} value={search} onInput={(e) => setSearch(e.currentTarget.value)} required />
          </div>
          <button type="submit" disabled={busy}>查找</button>
        </div>
        <ErrorMessage error={error} />
      </form>
      {created && <Notice>{created.status === 'PENDING_APPROVAL'
        ? <>已发起打款 <Money fen={created.amount} />（订单 {created.orderId}），金额已冻结，等待主账号审批；审批通过后才通知买家。</>
        : <>已向买家发起打款 <Money fen={created.amount} />（订单 {created.orderId}），等待买家确认。</>}<a href={`#/payouts/${created.id}`}>查看打款详情</a></Notice>}
      {paying && <PayoutForm eligibility={paying} account={account} isSub={isSub} onCancel={() => setPaying(null)}
        onCreated={(payout) => { setPaying(null); setCreated(payout); onPaid(); void refresh(ids); }} />}
      <section class="card" aria-labelledby="orders-title">
        <h2 id="orders-title">订单</h2>
        {rows.length === 0 ? <p>还没有订单。请在上方输入订单号查找。</p> : (
          <table>
            <thead><tr><th>订单号</th><th class="num">最多可打</th><th>说明</th><th>操作</th></tr></thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.orderId} data-order={row.orderId}>
                  <td>{row.orderId}</td>
                  <td class="num">{row.eligible ? <Money fen={row.maxAmount} /> : '—'}</td>
                  <td>{row.eligible ? '可打款' : row.reasons.map((r) => INELIGIBLE_WORDS[r] ?? r).join('；')}</td>
                  <td>{row.eligible && <button type="button" onClick={() => { setCreated(null); setPaying(row); }} aria-label={`小额打款：订单 ${row.orderId}`}>小额打款</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
