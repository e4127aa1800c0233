/**
 * /dev/: development sign-in, served only by `npm start` while it runs with the development JWT
 * secret. It lists the demo accounts and signs this tab in as one of them with a token the server
 * mints on request (GET /dev/accounts).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signIn } from '../shared/api';
import { ErrorMessage, Header, ROLE_WORDS } from '../shared/ui';
import type { Claims } from '../shared/api';
import '../shared/style.css';

interface DemoAccount {
  id: string;
  role: Claims['role'];
  description: string;
  token: string;
  /** Where the account starts: the console, or the buyer's list of payouts. */
  home: string;
}

function App() {
  const [accounts, setAccounts] = useState<DemoAccount[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    fetch('/dev/accounts').then(async (r) => (r.ok ? setAccounts((await r.json()) as DemoAccount[]) : setError(new Error(`开发登录不可用（HTTP ${r.status}）`)))).catch(setError);
  }, []);
  const use = (account: DemoAccount) => {
    signIn(account.token);
    location.assign(account.home);
  };
  return (
    <>
      <Header title="小额打款 · 开发登录" />
      <main>
        <p class="notice" role="note">仅用于本地开发：此页面只在使用开发密钥运行 <code>npm start</code> 时提供，令牌由开发密钥签发。</p>
        <ErrorMessage error={error} />
        {accounts && (
          <table>
            <caption class="sr-only">演示账号</caption>
            <thead><tr><th>账号</th><th>身份</th><th>说明</th><th>操作</th></tr></thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id}>
                  <td>{a.id}</td><td>{ROLE_WORDS[a.role] ?? a.role}</td><td>{a.description}</td>
                  <td><button type="button" onClick={() => use(a)} aria-label={`以 ${a.id}（${ROLE_WORDS[a.role] ?? a.role}）登录`}>登录</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
