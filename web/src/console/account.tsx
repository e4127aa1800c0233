/**
 * The seller's payout account: balances, today's use against the limits, and the settings — enable
 * with the withholding agreement, limits, low-balance alert, auto top-up, approval policy, recharge, withdraw,
 * disable. A sub-account sees the figures and the approval policy only.
 */
import { useState } from 'preact/hooks';
import { api, must, newIdempotencyKey, type Schemas } from '../shared/api';
import { formatYuan, yuanInput } from '../shared/money';
import { ErrorMessage, Money, Notice, useAction } from '../shared/ui';
import { ApprovalPolicyForm, ApprovalPolicyNote } from './approval-policy';
import { AutoTopUpForm } from './auto-top-up';
import { countOf, CountField, fenOf, YuanField } from './fields';

type Account = Schemas['PayoutAccount'];
type Limits = Schemas['Limits'];

function Figures({ account }: { account: Account }) {
  const limits = account.limits ?? account.systemCaps;
  return (
    <section class="card" aria-labelledby="figures">
      <h2 id="figures">准备金账户</h2>
      <p>
        状态：<strong>{account.enabled ? '已开通' : '未开通'}</strong>
        {account.agreementSigned ? '（代扣协议已签署）' : '（未签署代扣协议）'}
      </p>
      <div class="grid">
        <div class="figure"><div class="label">可用余额</div><div class="value" data-testid="available"><Money fen={account.balance.available} /></div></div>
        <div class="figure"><div class="label">冻结中（待确认打款）</div><div class="value" data-testid="held"><Money fen={account.balance.held} /></div></div>
        <div class="figure"><div class="label">今日已打款笔数 / 上限</div><div class="value">{account.today.count} / {limits.dailyCount}</div></div>
        <div class="figure"><div class="label">今日已打款金额 / 上限</div><div class="value"><Money fen={account.today.amount} /> / <Money fen={limits.dailyAmount} /></div></div>
        <div class="figure"><div class="label">单笔上限</div><div class="value"><Money fen={limits.perPayoutAmount} /></div></div>
        <div class="figure"><div class="label">低余额提醒</div><div class="value">{account.lowBalanceThreshold === null ? '未设置' : formatYuan(account.lowBalanceThreshold)}</div></div>
      </div>
      <p class="hint">系统上限：每日 {account.systemCaps.dailyCount} 笔、{formatYuan(account.systemCaps.dailyAmount)}，单笔 {formatYuan(account.systemCaps.perPayoutAmount)}。日期按北京时间计算（{account.today.day}）。</p>
    </section>
  );
}

function useLimitFields(initial: Limits) {
  const [dailyCount, setDailyCount] = useState(String(initial.dailyCount));
  const [dailyAmount, setDailyAmount] = useState(yuanInput(initial.dailyAmount));
  const [perPayout, setPerPayout] = useState(yuanInput(initial.perPayoutAmount));
  const fields = (
    <div class="row">
      <CountField label="每日笔数上限" value={dailyCount} onInput={setDailyCount} />
      <YuanField label="每日金额上限" value={dailyAmount} onInput={setDailyAmount} />
      <YuanField label="单笔金额上限" value={perPayout} onInput={setPerPayout} />
    </div>
  );
  const read = (): Limits => ({ dailyCount: countOf('每日笔数上限', dailyCount), dailyAmount: fenOf('每日金额上限', dailyAmount), perPayoutAmount: fenOf('单笔金额上限', perPayout) });
  return { fields, read };
}

function EnableForm({ account, onSaved }: { account: Account; onSaved: (a: Account) => void }) {
  const [authCode, setAuthCode] = useState('');
  const [agreed, setAgreed] = useState(false);
  const limits = useLimitFields(account.limits ?? account.systemCaps);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => onSaved(await must(api.POST('/v1/payout-account/enable', { body: { agreement: { authCode: authCode.trim() }, limits: limits.read() } }))));
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="enable">
      <h2 id="enable">开通小额打款</h2>
      <p>开通需签署支付机构的代扣协议：授权一次后，每笔打款无需再输入密码，但受下列限额约束（不得高于系统上限）。</p>
      <div class="row">
        <div class="field">
          <label for="auth-code">代扣协议授权码</label>
          <input id="auth-code" value={authCode} required onInput={(e) => setAuthCode(e.currentTarget.value)} />
        </div>
      </div>
      {limits.fields}
      <div class="row">
        <input type="checkbox" id="agree" checked={agreed} onChange={(e) => setAgreed(e.currentTarget.checked)} required />
        <label for="agree">我已阅读并同意《小额打款代扣协议》</label>
      </div>
      <button type="submit" disabled={busy || !agreed}>签署协议并开通</button>
      <ErrorMessage error={error} />
    </form>
  );
}

function LimitsForm({ account, onSaved }: { account: Account; onSaved: (a: Account) => void }) {
  const limits = useLimitFields(account.limits ?? account.systemCaps);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => onSaved(await must(api.PUT('/v1/payout-account/limits', { body: limits.read() }))));
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="limits">
      <h2 id="limits">打款限额</h2>
      {limits.fields}
      <button type="submit" disabled={busy}>保存限额</button>
      <ErrorMessage error={error} />
    </form>
  );
}

function AlertForm({ account, onSaved }: { account: Account; onSaved: (a: Account) => void }) {
  const [threshold, setThreshold] = useState(account.lowBalanceThreshold === null ? '' : yuanInput(account.lowBalanceThreshold));
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const value = threshold.trim() === '' ? null : fenOf('提醒阈值', threshold);
      onSaved(await must(api.PUT('/v1/payout-account/low-balance-alert', { body: { threshold: value } })));
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="alert">
      <h2 id="alert">低余额提醒</h2>
      <div class="row">
        <YuanField label="可用余额低于此金额时提醒" value={threshold} onInput={setThreshold} required={false} hint="留空则关闭提醒" />
        <button type="submit" disabled={busy}>保存</button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

/** Recharge or withdraw: one Idempotency-Key per attempt, kept until it succeeds, so a retry never moves money twice. */
function MoneyForm({ kind, onDone }: { kind: 'recharge' | 'withdraw'; onDone: (message: string) => void }) {
  const [amount, setAmount] = useState('');
  const [key, setKey] = useState(newIdempotencyKey);
  const { busy, error, run } = useAction();
  const label = kind === 'recharge' ? '充值' : '提现';
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { amount: fenOf(`${label}金额`, amount) };
      const params = { header: { 'Idempotency-Key': key } };
      const movement = kind === 'recharge'
        ? await must(api.POST('/v1/payout-account/recharges', { params, body }))
        : await must(api.POST('/v1/payout-account/withdrawals', { params, body }));
      setAmount('');
      setKey(newIdempotencyKey());
      onDone(`${label}成功：${formatYuan(movement.amount)}，可用余额 ${formatYuan(movement.availableAfter)}`);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby={`${kind}-title`}>
      <h2 id={`${kind}-title`}>{kind === 'recharge' ? '充值准备金' : '提现到支付账户'}</h2>
      <p class="hint">{kind === 'recharge' ? '按代扣协议从您的支付账户扣款，存入准备金可用余额。' : '只能提取可用余额；冻结中的款项不可提现。'}</p>
      <div class="row">
        <YuanField label={`${label}金额`} value={amount} onInput={setAmount} />
        <button type="submit" disabled={busy}>{label}</button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

function DisableForm({ onSaved }: { onSaved: (a: Account) => void }) {
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <section class="card" aria-labelledby="disable">
      <h2 id="disable">关闭小额打款</h2>
      <p>关闭后立即停止发起新的打款；已发起的打款会继续走完流程。</p>
      {!asking ? <button type="button" class="secondary" onClick={() => setAsking(true)}>关闭小额打款</button> : (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => run(async () => { onSaved(await must(api.POST('/v1/payout-account/disable'))); setAsking(false); })}>确定关闭</button>
          <button type="button" class="secondary" onClick={() => setAsking(false)}>取消</button>
        </div>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

export function AccountView({ account, isMain, onChanged }: { account: Account; isMain: boolean; onChanged: (a?: Account) => void }) {
  const [message, setMessage] = useState<string | null>(null);
  const saved = (words: string) => (next: Account) => { setMessage(words); onChanged(next); };
  return (
    <>
      <Figures account={account} />
      {message && <Notice>{message}</Notice>}
      {isMain && !account.enabled && <EnableForm account={account} onSaved={saved('已开通小额打款')} />}
      {isMain && account.enabled && (
        <>
          <MoneyForm kind="recharge" onDone={(words) => { setMessage(words); onChanged(); }} />
          <LimitsForm account={account} onSaved={saved('限额已保存')} />
          <AlertForm account={account} onSaved={saved('低余额提醒已保存')} />
        </>
      )}
      {isMain && account.agreementSigned && <AutoTopUpForm account={account} onSaved={(next, words) => saved(words)(next)} />}
      {isMain && account.agreementSigned && <ApprovalPolicyForm account={account} onSaved={saved('审批设置已保存')} />}
      {!isMain && <ApprovalPolicyNote account={account} />}
      {isMain && account.agreementSigned && <MoneyForm kind="withdraw" onDone={(words) => { setMessage(words); onChanged(); }} />}
      {isMain && account.enabled && <DisableForm onSaved={saved('已关闭小额打款')} />}
    </>
  );
}
