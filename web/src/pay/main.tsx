/**
 * /pay/{payoutId}: the page a buyer's card links to. It shows the payout (amount, seller, reason,
 * note, the deadline counting down) and takes the buyer's confirmation or refusal, with words for
 * every answer: done (200), received and still being applied (202), already ended (409).
 * /pay/ alone lists the buyer's payouts.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, must, refusalOf, storedToken, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Header, Money, Notice, SignInForm, useAction } from '../shared/ui';
import { REASON_WORDS, STATUS_WORDS } from '../shared/words';
import { Countdown } from './countdown';
import '../shared/style.css';

type Payout = Schemas['Payout'];

/** What the buyer reads for each state of their payout. */
const STATE_WORDS: Record<string, string> = {
  AWAITING_CONFIRMATION: '卖家向您发起了一笔小额打款，请在截止时间前确认收款。',
  CONFIRMED: '您已确认收款，款项正在打入您的账户。',
  PAID: '款项已打入您的账户，账单备注为“小额打款”。',
  FAILED: '打款未能完成，款项已退回卖家，请联系卖家。',
  EXPIRED: '已超过确认期限，此打款已自动关闭，款项退回卖家。',
  DECLINED: '您已拒收此打款，款项已退回卖家。',
  CANCELLED: '卖家已撤销此打款。',
  REJECTED: '此打款未获卖家审批，已关闭。',
};

function payoutIdFromPath(): string | null {
  const match = /^\/pay\/([^/]+)\/?$/.exec(location.pathname);
  return match ? decodeURIComponent(match[1]) : null;
}

function Decision({ payout, onChanged }: { payout: Payout; onChanged: (message: string) => void }) {
  const { busy, error, run } = useAction();
  const [askingDecline, setAskingDecline] = useState(false);
  const decide = (decision: 'confirm' | 'decline') => run(async () => {
    const path = decision === 'confirm' ? '/v1/payouts/{id}/confirm' : '/v1/payouts/{id}/decline';
    const { response, error: refusal } = await api.POST(path, { params: { path: { id: payout.id } } });
    if (response.status === 202) {
      onChanged(decision === 'confirm' ? '已收到您的确认，系统正在处理，结果稍后显示在此页面。' : '已收到您的拒收，系统正在处理，结果稍后显示在此页面。');
    } else if (response.ok) {
      onChanged(decision === 'confirm' ? '确认成功。' : '已拒收。');
    } else {
      const refused = refusalOf(response, refusal);
      if (refused.code !== 'PAYOUT_NOT_AWAITING_CONFIRMATION') throw refused;
      onChanged('此打款已经结束，无法再确认或拒收。');
    }
  });
  return (
    <div>
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => decide('confirm')}>确认收款</button>
        {!askingDecline && <button type="button" class="secondary" disabled={busy} onClick={() => setAskingDecline(true)}>拒绝收款</button>}
      </div>
      {askingDecline && (
        <div class="card" role="group" aria-labelledby="decline-q">
          <p id="decline-q">拒收后款项将退回卖家，且不能撤回。确定拒收吗？</p>
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => decide('decline')}>确定拒收</button>
            <button type="button" class="secondary" onClick={() => setAskingDecline(false)}>再想想</button>
          </div>
        </div>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}

function PayoutView({ id }: { id: string }) {
  const [payout, setPayout] = useState<Payout | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const { error, run } = useAction();
  const load = () => run(async () => setPayout(await must(api.GET('/v1/payouts/{id}', { params: { path: { id } } }))));
  useEffect(() => { void load(); }, [id]);
  // While a decision is being applied the page asks again, so the buyer sees the outcome arrive.
  useEffect(() => {
    if (!message || !payout || !['AWAITING_CONFIRMATION', 'CONFIRMED'].includes(payout.status)) return;
    const timer = setInterval(() => void load(), 1_000);
    return () => clearInterval(timer);
  }, [message, payout?.status]);
  if (!payout) return error ? <ErrorMessage error={error} /> : <p>加载中…</p>;
  const open = payout.status === 'AWAITING_CONFIRMATION';
  return (
    <section class="card" aria-labelledby="payout-title">
      <h2 id="payout-title">小额打款</h2>
      <p class="pay-amount"><Money fen={payout.amount} /></p>
      <p><span class={`status ${payout.status}`}>{STATUS_WORDS[payout.status] ?? payout.status}</span></p>
      <p>{STATE_WORDS[payout.status] ?? payout.status}</p>
      <dl class="facts">
        <dt>卖家</dt><dd>{payout.sellerId}</dd>
        <dt>订单号</dt><dd>{payout.orderId}</dd>
        <dt>打款原因</dt><dd>{REASON_WORDS[payout.reason] ?? payout.reason}</dd>
        <dt>留言</dt><dd>{payout.note || '（无）'}</dd>
        <dt>确认截止</dt><dd>{chinaTime(payout.expiresAt)}（北京时间）</dd>
        {payout.paidAt && <><dt>到账时间</dt><dd>{chinaTime(payout.paidAt)}</dd></>}
      </dl>
      {open && payout.expiresAt && <Countdown deadline={payout.expiresAt} onEnded={() => void load()} />}
      {message && <Notice>{message}</Notice>}
      {open && <Decision payout={payout} onChanged={(words) => { setMessage(words); void load(); }} />}
      <ErrorMessage error={error} />
    </section>
  );
}

function MyPayouts() {
  const [items, setItems] = useState<Payout[] | null>(null);
  const { error, run } = useAction();
  useEffect(() => { void run(async () => setItems((await must(api.GET('/v1/buyer/payouts', { params: { query: { limit: 50 } } }))).items)); }, []);
  if (!items) return error ? <ErrorMessage error={error} /> : <p>加载中…</p>;
  return (
    <section class="card" aria-labelledby="mine">
      <h2 id="mine">我收到的小额打款</h2>
      {items.length === 0 ? <p>暂无打款。</p> : (
        <table>
          <thead><tr><th>订单号</th><th class="num">金额</th><th>状态</th><th>确认截止</th><th>操作</th></tr></thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id}>
                <td>{p.orderId}</td><td class="num"><Money fen={p.amount} /></td>
                <td><span class={`status ${p.status}`}>{STATUS_WORDS[p.status] ?? p.status}</span></td>
                <td>{chinaTime(p.expiresAt)}</td><td><a href={`/pay/${encodeURIComponent(p.id)}`}>查看 {p.orderId}</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(Boolean(storedToken()));
  const id = payoutIdFromPath();
  return (
    <>
      <Header title="小额打款 · 确认收款" onSignOut={() => setSignedIn(false)} />
      <main>
        {!signedIn ? <SignInForm expectedRoles={['buyer']} onSignedIn={() => setSignedIn(true)} /> : id ? <PayoutView id={id} /> : <MyPayouts />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
