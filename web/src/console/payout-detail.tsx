/**
 * One payout: its facts, its timeline, the seller's cancel while the buyer (or the main account)
 * has not decided, and the main account's approve or reject while a sub-account's payout waits.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, must, refusalOf, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, Money, Notice, useAction } from '../shared/ui';
import { CLOSE_REASON_WORDS, REASON_WORDS, STATUS_WORDS, TIMELINE_WORDS } from '../shared/words';
import { PayoutHistory } from './payout-history';

type Detail = Schemas['PayoutDetail'];

function Facts({ payout }: { payout: Detail }) {
  const waiting = payout.status === 'PENDING_APPROVAL';
  return (
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
      {payout.approvalExpiresAt && <><dt>审批截止</dt><dd data-testid="approval-deadline">{chinaTime(payout.approvalExpiresAt)}</dd></>}
      {payout.approvedAt && <><dt>审批通过</dt><dd>{chinaTime(payout.approvedAt)}</dd></>}
      <dt>确认截止</dt><dd>{waiting ? '审批通过后开始计时' : chinaTime(payout.expiresAt)}</dd>
      <dt>打款编号</dt><dd>{payout.id}</dd>
    </dl>
  );
}

export function PayoutDetailView({ id, canCancel, canApprove, canReadHistory }: { id: string; canCancel: boolean; canApprove: boolean; canReadHistory: boolean }) {
  const [payout, setPayout] = useState<Detail | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [rejecting, setRejecting] = useState(false);
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
  // Approve and reject answer 200 or a refusal, never 202 (SPEC §5): the page shows what was decided.
  const approve = () => run(async () => {
    const approved = await must(api.POST('/v1/payouts/{id}/approve', { params: { path: { id } } }));
    setMessage(`已审批通过，已通知买家，确认截止 ${chinaTime(approved.expiresAt)}。`);
    await load();
  });
  const reject = () => run(async () => {
    await must(api.POST('/v1/payouts/{id}/reject', { params: { path: { id } } }));
    setRejecting(false);
    setMessage('已驳回，款项已退回准备金，该订单可重新打款。');
    await load();
  });
  if (!payout) return error ? <ErrorMessage error={error} /> : <p>加载中…</p>;
  const waiting = payout.status === 'PENDING_APPROVAL';
  return (
    <>
    <section class="card" aria-labelledby="detail-title">
      <h2 id="detail-title">打款详情 · 订单 {payout.orderId}</h2>
      <p>{canApprove && waiting ? <a href="#/approvals">返回待审批</a> : <a href="#/records">返回打款记录</a>}</p>
      <Facts payout={payout} />
      <h3>进度</h3>
      <ol class="timeline">
        {payout.timeline.map((event, i) => (
          <li key={i}><strong>{TIMELINE_WORDS[event.type] ?? event.type}</strong> · {chinaTime(event.at)}{event.actor ? ` · ${event.actor}` : ''}</li>
        ))}
      </ol>
      {message && <Notice>{message}</Notice>}
      {waiting && <p class="hint">子账号发起的大额打款，主账号审批通过后才通知买家；{chinaTime(payout.approvalExpiresAt)} 前未审批将自动驳回。</p>}
      <div class="actions">
        {canApprove && waiting && !rejecting && <button type="button" disabled={busy} onClick={() => void approve()}>审批通过</button>}
        {canApprove && waiting && !rejecting && <button type="button" class="secondary" disabled={busy} onClick={() => setRejecting(true)}>驳回</button>}
        {canApprove && waiting && rejecting && <>
          <button type="button" disabled={busy} onClick={() => void reject()}>确定驳回</button>
          <button type="button" class="secondary" onClick={() => setRejecting(false)}>不驳回</button>
        </>}
        {canCancel && (payout.status === 'AWAITING_CONFIRMATION' || waiting) && !rejecting && <button type="button" class="secondary" disabled={busy} onClick={() => void cancel()}>撤销打款</button>}
      </div>
      <ErrorMessage error={error} />
    </section>
    {canReadHistory && <PayoutHistory id={id} />}
    </>
  );
}
