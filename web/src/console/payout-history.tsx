/**
 * A payout's audit trail: its workflow history, event by event (GET /v1/payouts/{id}/history), for
 * the main account and auditors. Loaded when asked for, since it is read from Temporal (or the
 * archive) and most visits to a payout only need its timeline.
 */
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../shared/api';
import { chinaTime, ErrorMessage, useAction } from '../shared/ui';

/** The Temporal event types in words; the rest are shown as Temporal names them. */
const EVENT_WORDS: Record<string, string> = {
  WORKFLOW_EXECUTION_STARTED: '流程开始',
  WORKFLOW_EXECUTION_COMPLETED: '流程结束',
  WORKFLOW_EXECUTION_FAILED: '流程失败',
  WORKFLOW_EXECUTION_SIGNALED: '收到信号',
  WORKFLOW_EXECUTION_UPDATE_ACCEPTED: '收到操作',
  WORKFLOW_EXECUTION_UPDATE_ADMITTED: '收到操作',
  WORKFLOW_EXECUTION_UPDATE_COMPLETED: '操作完成',
  ACTIVITY_TASK_SCHEDULED: '安排任务',
  ACTIVITY_TASK_COMPLETED: '任务完成',
  ACTIVITY_TASK_FAILED: '任务失败',
  MARKER_RECORDED: '写入数据库',
  TIMER_STARTED: '开始计时',
  TIMER_FIRED: '计时到期',
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: '更新检索字段',
};

const SOURCE_WORDS = { temporal: 'Temporal', archive: '归档' } as const;

export function PayoutHistory({ id }: { id: string }) {
  const [history, setHistory] = useState<Schemas['PayoutHistory'] | null>(null);
  const { busy, error, run } = useAction();
  const load = () => run(async () => setHistory(await must(api.GET('/v1/payouts/{id}/history', { params: { path: { id } } }))));
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">审计记录（流程历史）</h2>
      {!history && <button type="button" class="secondary" disabled={busy} onClick={() => void load()}>查看流程历史</button>}
      <ErrorMessage error={error} />
      {history && (
        <>
          <p class="hint">来源：{SOURCE_WORDS[history.source]} · 流程 {history.workflowId}{history.truncated ? ' · 历史较长，只显示前 500 条' : ''}</p>
          <table>
            <thead><tr><th class="num">序号</th><th>时间</th><th>事件</th><th>名称</th><th>操作人</th><th>结果</th></tr></thead>
            <tbody>
              {history.events.map((event) => (
                <tr key={event.eventId}>
                  <td class="num">{event.eventId}</td><td>{chinaTime(event.at)}</td><td>{EVENT_WORDS[event.type] ?? event.type}</td>
                  <td>{event.name ?? '—'}</td><td>{event.actor ?? '—'}</td><td>{event.detail ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
