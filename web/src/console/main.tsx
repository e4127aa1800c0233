/**
 * /console/: the seller's console (main account and sub-accounts; auditors read records and the
 * statement). One page, its views chosen by the hash (#/account, #/orders, ...), so a view can be
 * linked to and the service serves a single file.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, claimsOf, must, storedToken, type Claims, type Schemas } from '../shared/api';
import { ErrorMessage, Header, SignInForm, useAction } from '../shared/ui';
import { AccountView } from './account';
import { ApprovalsView } from './approvals';
import { CardsView } from './cards';
import { OrdersView } from './orders';
import { PayoutDetailView } from './payout-detail';
import { RecordsView } from './records';
import { StatementView } from './statement';
import { SubAccountsView } from './sub-accounts';
import '../shared/style.css';

type View = 'account' | 'orders' | 'approvals' | 'records' | 'statement' | 'sub-accounts' | 'cards';

const TABS: { view: View; words: string; roles: Claims['role'][] }[] = [
  { view: 'account', words: '准备金账户', roles: ['seller', 'sub_account'] },
  { view: 'orders', words: '订单打款', roles: ['seller', 'sub_account'] },
  { view: 'approvals', words: '待审批', roles: ['seller'] },
  { view: 'records', words: '打款记录', roles: ['seller', 'sub_account', 'auditor'] },
  { view: 'statement', words: '对账单', roles: ['seller', 'auditor'] },
  { view: 'sub-accounts', words: '子账号权限', roles: ['seller'] },
  { view: 'cards', words: '消息通知', roles: ['seller', 'sub_account'] },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function Console({ claims }: { claims: Claims }) {
  const hash = useHash();
  const [account, setAccount] = useState<Schemas['PayoutAccount'] | null>(null);
  const { error, run } = useAction();
  const sellerSide = claims.role === 'seller' || claims.role === 'sub_account';
  const reload = (next?: Schemas['PayoutAccount']) => run(async () => setAccount(next ?? (await must(api.GET('/v1/payout-account')))));
  useEffect(() => { if (sellerSide) void reload(); }, []);
  const tabs = TABS.filter((tab) => tab.roles.includes(claims.role));
  const detail = /^#\/payouts\/([^/]+)$/.exec(hash)?.[1];
  const view = tabs.find((tab) => `#/${tab.view}` === hash)?.view ?? (detail ? null : tabs[0]?.view);
  return (
    <>
      <nav class="tabs" aria-label="工作台">
        {tabs.map((tab) => <a key={tab.view} href={`#/${tab.view}`} aria-current={view === tab.view ? 'page' : undefined}>{tab.words}</a>)}
      </nav>
      <ErrorMessage error={error} />
      {tabs.length === 0 && <p>当前账号不能使用卖家工作台。</p>}
      {view === 'account' && account && <AccountView account={account} isMain={claims.role === 'seller'} onChanged={(next) => void reload(next)} />}
      {view === 'orders' && <OrdersView account={account} isSub={claims.role === 'sub_account'} onPaid={() => void reload()} />}
      {view === 'approvals' && <ApprovalsView />}
      {view === 'records' && <RecordsView canExport={claims.role !== 'sub_account'} isAuditor={claims.role === 'auditor'} />}
      {view === 'statement' && <StatementView isAuditor={claims.role === 'auditor'} />}
      {view === 'sub-accounts' && <SubAccountsView />}
      {view === 'cards' && <CardsView />}
      {detail && <PayoutDetailView key={detail} id={decodeURIComponent(detail)} canCancel={sellerSide} canApprove={claims.role === 'seller'} canReadHistory={claims.role !== 'sub_account'} />}
    </>
  );
}

function App() {
  const [token, setToken] = useState(storedToken());
  const claims = claimsOf(token);
  const signedIn = () => {
    setToken(storedToken());
    // The session cookie lets the Temporal UI decrypt payloads through the codec endpoint for this
    // browser (auditors); the console's own calls keep the bearer token, so a failure here is harmless.
    void api.POST('/v1/session').catch(() => undefined);
  };
  return (
    <>
      <Header title="小额打款 · 卖家工作台" onSignOut={() => { setToken(null); void api.DELETE('/v1/session').catch(() => undefined); }} />
      <main>
        {claims ? <Console claims={claims} /> : <SignInForm expectedRoles={['seller', 'sub_account', 'auditor']} onSignedIn={signedIn} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
