/**
 * The approval policy (SPEC §5 maker-checker): a sub-account's payout of at least the threshold
 * waits for the main account's approval. The main account sets it; a sub-account sees it only, so
 * it knows which of its payouts will wait.
 */
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { formatYuan, yuanInput } from '../shared/money';
import { ErrorMessage, useAction } from '../shared/ui';
import { fenOf, YuanField } from './fields';

type Account = Schemas['PayoutAccount'];

function policyWords(account: Account): string {
  const threshold = account.approvalPolicy.subAccountThreshold;
  return threshold === null ? '未开启：子账号的打款无需审批' : `子账号单笔打款达到 ${formatYuan(threshold)} 时，需主账号审批后才通知买家`;
}

export function ApprovalPolicyNote({ account }: { account: Account }) {
  return (
    <section class="card" aria-labelledby="approval-policy">
      <h2 id="approval-policy">大额打款审批</h2>
      <p data-testid="approval-policy">{policyWords(account)}</p>
    </section>
  );
}

export function ApprovalPolicyForm({ account, onSaved }: { account: Account; onSaved: (a: Account) => void }) {
  const current = account.approvalPolicy.subAccountThreshold;
  const [threshold, setThreshold] = useState(current === null ? '' : yuanInput(current));
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const subAccountThreshold = threshold.trim() === '' ? null : fenOf('审批金额', threshold);
      onSaved(await must(api.PUT('/v1/payout-account/approval-policy', { body: { subAccountThreshold } })));
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="approval-policy">
      <h2 id="approval-policy">大额打款审批</h2>
      <p data-testid="approval-policy">{policyWords(account)}</p>
      <p class="hint">待审批的打款已冻结金额并计入当日用量，买家在审批通过前看不到它；{formatYuan(account.systemCaps.perPayoutAmount)} 以内可设，超过审批期限未处理则自动驳回。您自己发起的打款无需审批。</p>
      <div class="row">
        <YuanField label="子账号单笔打款达到此金额需审批" value={threshold} onInput={setThreshold} required={false} hint="留空则不需审批" />
        <button type="submit" disabled={busy}>保存审批设置</button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}
