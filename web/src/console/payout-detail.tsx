/** One payout: its facts, its timeline, and the seller's cancel while the buyer has not decided. */
import { useEffect, useState } from 'preact/hooks';
import { api, must, refusalOf, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, Notice, useAction } from '../shared/ui';
import { CLOSE_REASON_WORDS, REASON_WORDS, STATUS_WORDS, TIMELINE_WORDS } from '../shared/words';
import { PayoutHistory } from './payout-history';

export function PayoutDetailView({ id, canCancel, canReadHistory }: { id: string; canCancel: boolean; canReadHistory: boolean }) {
  const [payout, setPayout] = useState<Schemas['PayoutDetail'] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const load = () => run(async () => setPayout(await must(api.GET('/v1/payouts/{id}', { params: { path: { id } } }))));
  useEffect(() => { void load(); }, [id]);
  const cancel = () => run(async () => {
    const { response, error: refusal } = await api.POST('/v1/payouts/{id}/cancel', { params: { path: { id } } });
    if (!response.ok) throw refusalOf(response, refusal);
    // 202: no worker answered in time and Temporal holds the decision; the status follows.
    setMessage(response.status === 202 ? '已收到撤销请求，正在处理。' : '已撤销，款项已退回准备金。');
    await load();
  });
  if (!payout) return error ? <ErrorMessage error={error} /> : <p>加载中…</p>;
  return (
    <>
    <section class="card" aria-labelledby="detail-title">
      <h2 id="detail-title">打款详情 · 订单 {payout.orderId}</h2>
      <p><a href="#/records">返回打款记录</a></p>
      <dl class="facts">
        <dt>金额</dt><dd><Money fen={payout.amount} /></dd>
        <dt>状态</dt><dd><span class={`status ${payout.status}`} data-status={payout.status}>{STATUS_WORDS[payout.status] ?? payout.status}</span></dd>
        {payout.closeReason && <><dt>关闭原因</dt><dd>{CLOSE_REASON_WORDS[payout.closeReason] ?? payout.closeReason}</dd></>}
        {payout.providerTransactionId && <><dt>支付机构流水号</dt><dd>{payout.providerTransactionId}</dd></>}
        <dt>原因</dt><dd>{REASON_WORDS[payout.reason] ?? payout.reason}</dd>
        <dt>留言</dt><dd>{payout.note || '（无）'}</dd>
        <dt>买家</dt><dd>{payout.buyerId}</dd>
        <dt>操作人</dt><dd>{payout.initiatedBy}</dd>
        <dt>发起时间</dt><dd>{chinaTime(payout.createdAt)}</dd>
        <dt>确认截止</dt><dd>{chinaTime(payout.expiresAt)}</dd>
        <dt>打款编号</dt><dd>{payout.id}</dd>
      </dl>
      <h3>进度</h3>
      <ol class="timeline">
        {payout.timeline.map((event, i) => (
          <li key={i}><strong>{TIMELINE_WORDS[event.type] ?? event.type}</strong> · {chinaTime(event.at)}{event.actor ? ` · ${event.actor}` : ''}</li>
        ))}
      </ol>
      {message && <Notice>{message}</Notice>}
      {canCancel && payout.status === 'AWAITING_CONFIRMATION' && <button type="button" class="secondary" disabled={busy} onClick={() => void cancel()}>撤销打款</button>}
      <ErrorMessage error={error} />
    </section>
    {canReadHistory && <PayoutHistory id={id} />}
    </>
  );
}
