/** Pieces every page uses: the signed-in header, the token sign-in form, money, errors, times. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { claimsOf, signIn, signOut, storedToken, type Claims } from './api';
import { formatYuan } from './money';

export const ROLE_WORDS: Record<Claims['role'], string> = {
  seller: '卖家主账号',
  sub_account: '卖家子账号',
  buyer: '买家',
  auditor: '财务审计',
  system: '交易系统',
};

export function Money({ fen }: { fen: number }) {
  return <span class="money">{formatYuan(fen)}</span>;
}

/** Times in China Standard Time, as the SPEC counts days. */
export function chinaTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return <p class="error" role="alert">{error instanceof Error ? error.message : String(error)}</p>;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return <p class="notice" role="status">{children}</p>;
}

/** Runs an action, keeping its error and whether it is under way, for buttons and forms. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

/** The token form: the pages take a bearer token, kept for this tab only. */
export function SignInForm({ expectedRoles, onSignedIn }: { expectedRoles: Claims['role'][]; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const claims = claimsOf(token.trim());
    if (!claims) return setError('这不是有效的登录令牌');
    if (!expectedRoles.includes(claims.role)) return setError(`此页面需要${expectedRoles.map((r) => ROLE_WORDS[r]).join('或')}登录，当前令牌属于${ROLE_WORDS[claims.role] ?? claims.role}`);
    signIn(token);
    onSignedIn();
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">登录</h2>
      <label for="token">访问令牌（Bearer Token）</label>
      <textarea id="token" rows={3} value={token} onInput={(e) => setToken(e.currentTarget.value)} required />
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit">登录</button>
      <p class="hint">令牌仅保存在当前标签页，关闭即失效。</p>
    </form>
  );
}

export function Header({ title, onSignOut }: { title: string; onSignOut?: () => void }) {
  const claims = claimsOf(storedToken());
  return (
    <header class="top">
      <h1>{title}</h1>
      {claims && (
        <div class="who">
          <span>{ROLE_WORDS[claims.role] ?? claims.role}：{claims.sub}</span>
          <button type="button" class="link" onClick={() => { signOut(); onSignOut?.(); }}>退出登录</button>
        </div>
      )}
    </header>
  );
}
