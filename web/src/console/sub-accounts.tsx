/**
 * Sub-account permissions: the main account's sub-accounts with their payout permission (GET
 * /v1/sub-accounts), granted or revoked one by one; a sub-account not listed yet is added by its
 * id. A revocation takes effect on the sub-account's next request.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { ErrorMessage, Notice, useAction } from '../shared/ui';

type SubAccount = Schemas['SubAccount'];

const PAGE_SIZE = 100;
/** Pages loaded at most; a seller with more sub-accounts than this finds the rest by id. */
const PAGES_MAX = 10;

export function SubAccountsView() {
  const [subs, setSubs] = useState<SubAccount[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const [id, setId] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const load = (after: string | null) => run(async () => {
    const page = await must(api.GET('/v1/sub-accounts', { params: { query: { limit: PAGE_SIZE, ...(after ? { cursor: after } : {}) } } }));
    setSubs(after ? [...subs, ...page.items] : page.items);
    setCursor(page.nextCursor);
    setPages(after ? pages + 1 : 1);
  });
  useEffect(() => { void load(null); }, []);
  const set = (subId: string, payout: boolean) => run(async () => {
    const sub = await must(api.PUT('/v1/sub-accounts/{id}/permissions', { params: { path: { id: subId } }, body: { payout } }));
    setMessage(`子账号 ${sub.id} ${sub.permissions.payout ? '已获得' : '已取消'}打款权限`);
    setSubs(subs.some((s) => s.id === sub.id) ? subs.map((s) => (s.id === sub.id ? sub : s)) : [sub, ...subs]);
    setId('');
  });
  return (
    <>
      <section class="card" aria-labelledby="subs-title">
        <h2 id="subs-title">子账号权限</h2>
        <p>获得打款权限的子账号可以发起打款、查看记录；取消后立即生效。</p>
        {message && <Notice>{message}</Notice>}
        <ErrorMessage error={error} />
        {subs.length === 0 ? <p>还没有设置过权限的子账号。</p> : (
          <table>
            <thead><tr><th>子账号</th><th>打款权限</th><th>操作</th></tr></thead>
            <tbody>
              {subs.map((sub) => (
                <tr key={sub.id} data-sub={sub.id}>
                  <td>{sub.id}</td>
                  <td>{sub.permissions.payout ? '已授予' : '未授予'}</td>
                  <td>
                    {sub.permissions.payout
                      ? <button type="button" class="secondary" disabled={busy} onClick={() => void set(sub.id, false)} aria-label={`取消权限：${sub.id}`}>取消权限</button>
                      : <button type="button" disabled={busy} onClick={() => void set(sub.id, true)} aria-label={`授予权限：${sub.id}`}>授予权限</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && pages < PAGES_MAX && <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>加载更多</button>}
      </section>
      <form class="card" onSubmit={(e) => { e.preventDefault(); void set(id.trim(), true); }} aria-labelledby="sub-add-title">
        <h2 id="sub-add-title">添加子账号</h2>
        <div class="row">
          <div class="field"><label for="sub-id">子账号</label><input id="sub-id" value={id} required onInput={(e) => setId(e.currentTarget.value)} /></div>
          <button type="submit" disabled={busy || !id.trim()}>授予打款权限</button>
        </div>
      </form>
    </>
  );
}
