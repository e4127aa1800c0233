/**
 * Sub-account permissions: the main account grants or revokes a sub-account's payout permission by
 * its id (a revocation takes effect on the sub-account's next request).
 */
import { useState } from 'preact/hooks';
import { api, must } from '../shared/api';
import { ErrorMessage, Notice, useAction } from '../shared/ui';

export function SubAccountsView() {
  const [id, setId] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const set = (payout: boolean) => run(async () => {
    const sub = await must(api.PUT('/v1/sub-accounts/{id}/permissions', { params: { path: { id: id.trim() } }, body: { payout } }));
    setMessage(`子账号 ${sub.id} ${sub.permissions.payout ? '已获得' : '已取消'}打款权限`);
  });
  return (
    <form class="card" onSubmit={(e) => e.preventDefault()} aria-labelledby="subs-title">
      <h2 id="subs-title">子账号权限</h2>
      <p>获得打款权限的子账号可以发起打款、查看记录；取消后立即生效。</p>
      <div class="row">
        <div class="field"><label for="sub-id">子账号</label><input id="sub-id" value={id} required onInput={(e) => setId(e.currentTarget.value)} /></div>
        <button type="button" disabled={busy || !id.trim()} onClick={() => void set(true)}>授予打款权限</button>
        <button type="button" class="secondary" disabled={busy || !id.trim()} onClick={() => void set(false)}>取消打款权限</button>
      </div>
      {message && <Notice>{message}</Notice>}
      <ErrorMessage error={error} />
    </form>
  );
}
