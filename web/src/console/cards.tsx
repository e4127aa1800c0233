/**
 * The seller's cards (GET /v1/seller/notifications): low balance, payout outcomes, payouts waiting
 * for approval, automatic top-ups and the rest the webhook receives, newest first, unread ones
 * marked; reading one marks it read.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { formatYuan } from '../shared/money';
import { chinaTime, ErrorMessage, useAction } from '../shared/ui';
import { CARD_WORDS, CLOSE_REASON_WORDS, STATUS_WORDS } from '../shared/words';

type Card = Schemas['Notification'];

const PAGE_SIZE = 50;
/** Pages loaded at most in one view. */
const PAGES_MAX = 20;

const fen = (value: unknown) => (typeof value === 'number' ? formatYuan(value) : '—');

/** One line about the card, from the payload fields its kind carries. */
function cardText(card: Card): string {
  const p = card.payload;
  switch (card.kind) {
    case 'LOW_BALANCE':
      return p.reason === 'INSUFFICIENT_RESERVE'
        ? `一笔打款因准备金不足被拒，可用余额 ${fen(p.available)}，请充值`
        : `可用余额 ${fen(p.available)}，低于提醒金额 ${fen(p.threshold)}`;
    case 'PAYOUT_OUTCOME': {
      const closed = typeof p.closeReason === 'string' ? `（${CLOSE_REASON_WORDS[p.closeReason] ?? p.closeReason}）` : '';
      return `订单 ${String(p.orderId ?? '')} 的打款 ${fen(p.amount)}：${STATUS_WORDS[String(p.status)] ?? String(p.status ?? '')}${closed}`;
    }
    case 'APPROVAL_REQUESTED':
      return `子账号 ${String(p.initiatedBy ?? '')} 给订单 ${String(p.orderId ?? '')} 的打款 ${fen(p.amount)} 待您审批，截止 ${chinaTime(typeof p.approvalDeadline === 'string' ? p.approvalDeadline : null)}`;
    case 'AUTO_TOP_UP_DONE':
      return `已按设置从支付账户扣款 ${fen(p.amount)} 存入准备金`;
    case 'AUTO_TOP_UP_DAILY_MAX_REACHED':
      return `今日自动充值已达上限，本次未扣款 ${fen(p.amount)}；如需打款请手动充值`;
    case 'AUTO_TOP_UP_REFUSED':
      return `支付机构拒绝了自动充值扣款 ${fen(p.amount)}，自动充值已关闭，请核对后重新设置`;
    case 'PAYOUT_SENT':
    case 'PAYOUT_REMINDER':
      return `订单 ${String(p.orderId ?? '')} 的打款 ${fen(p.amount)}`;
    default:
      return typeof p.message === 'string' ? p.message : '';
  }
}

export function CardsView() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [cards, setCards] = useState<Card[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const { busy, error, run } = useAction();
  const load = (after: string | null, unread = unreadOnly) => run(async () => {
    const query = { limit: PAGE_SIZE, ...(unread ? { unread: true } : {}), ...(after ? { cursor: after } : {}) };
    const page = await must(api.GET('/v1/seller/notifications', { params: { query } }));
    setCards(after ? [...cards, ...page.items] : page.items);
    setCursor(page.nextCursor);
    setPages(after ? pages + 1 : 1);
  });
  useEffect(() => { void load(null); }, []);
  const markRead = (id: number) => run(async () => {
    const read = await must(api.POST('/v1/seller/notifications/{id}/read', { params: { path: { id } } }));
    setCards(unreadOnly ? cards.filter((c) => c.id !== id) : cards.map((c) => (c.id === id ? read : c)));
  });
  return (
    <section class="card" aria-labelledby="cards-title">
      <h2 id="cards-title">消息通知</h2>
      <div class="row">
        <input type="checkbox" id="unread-only" checked={unreadOnly} onChange={(e) => { setUnreadOnly(e.currentTarget.checked); void load(null, e.currentTarget.checked); }} />
        <label for="unread-only">只看未读</label>
      </div>
      <ErrorMessage error={error} />
      {cards.length === 0 ? <p>没有消息。</p> : (
        <ul class="cards">
          {cards.map((card) => (
            <li key={card.id} class={card.readAt ? 'read' : 'unread'} data-card={card.id}>
              <strong>{card.readAt ? '' : '【未读】'}{CARD_WORDS[card.kind] ?? card.kind}</strong> · {chinaTime(card.createdAt)}
              <div>{cardText(card)}</div>
              <div class="actions">
                {card.payoutId && <a href={`#/payouts/${card.payoutId}`}>{card.kind === 'APPROVAL_REQUESTED' ? '去审批' : '查看打款'}</a>}
                {(card.kind === 'LOW_BALANCE' || card.kind.startsWith('AUTO_TOP_UP_')) && <a href="#/account">去充值</a>}
                {!card.readAt && <button type="button" class="link" disabled={busy} onClick={() => void markRead(card.id)}>标为已读</button>}
              </div>
            </li>
          ))}
        </ul>
      )}
      {cursor && pages < PAGES_MAX && <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>加载更多</button>}
    </section>
  );
}
