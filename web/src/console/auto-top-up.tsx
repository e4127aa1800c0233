/**
 * The automatic top-up (SPEC §5): when a hold takes the available balance below the threshold, or a
 * payout is refused for want of reserve, the service withholds the amount once under the signed
 * agreement, at most dailyMax a China day. A refused withholding turns it off until set again.
 */
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { formatYuan, yuanInput } from '../shared/money';
import { ErrorMessage, useAction } from '../shared/ui';
import { fenOf, YuanField } from './fields';

type Account = Schemas['PayoutAccount'];

function settingWords(setting: Account['autoTopUp']): string {
  return setting === null
    ? '未开启'
    : `可用余额低于 ${formatYuan(setting.threshold)} 时自动充值 ${formatYuan(setting.amount)}，每日最多 ${formatYuan(setting.dailyMax)}`;
}

export function AutoTopUpForm({ account, onSaved }: { account: Account; onSaved: (a: Account, words: string) => void }) {
  const current = account.autoTopUp;
  const [threshold, setThreshold] = useState(current ? yuanInput(current.threshold) : '');
  const [amount, setAmount] = useState(current ? yuanInput(current.amount) : '');
  const [dailyMax, setDailyMax] = useState(current ? yuanInput(current.dailyMax) : '');
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { threshold: fenOf('可用余额低于', threshold), amount: fenOf('每次充入金额', amount), dailyMax: fenOf('每日充值上限', dailyMax) };
      if (body.amount > body.dailyMax) throw new Error('每次充入金额不能高于每日充值上限');
      onSaved(await must(api.PUT('/v1/payout-account/auto-top-up', { body })), '自动充值已开启');
    });
  };
  const turnOff = () => run(async () => {
    onSaved(await must(api.PUT('/v1/payout-account/auto-top-up', { body: null })), '自动充值已关闭');
    setThreshold('');
    setAmount('');
    setDailyMax('');
  });
  return (
    <form class="card" onSubmit={submit} aria-labelledby="auto-top-up">
      <h2 id="auto-top-up">自动充值</h2>
      <p data-testid="auto-top-up">当前：{settingWords(current)}</p>
      <p class="hint">按代扣协议从您的支付账户扣款（对账单备注“自动充值”）。支付机构拒绝扣款时会通知您，并自动关闭，需重新设置。</p>
      <div class="row">
        <YuanField label="可用余额低于" value={threshold} onInput={setThreshold} />
        <YuanField label="每次充入金额" value={amount} onInput={setAmount} />
        <YuanField label="每日充值上限" value={dailyMax} onInput={setDailyMax} />
      </div>
      <div class="actions">
        <button type="submit" disabled={busy}>保存自动充值</button>
        {current && <button type="button" class="secondary" disabled={busy} onClick={() => void turnOff()}>关闭自动充值</button>}
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}
