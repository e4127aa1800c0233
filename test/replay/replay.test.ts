/**
 * Replays the recorded histories (histories.ts) on today's workflow code with the production data
 * converter, decrypting with the test key they were recorded with. A change to a workflow that
 * would break the payouts already running (a command added, removed or reordered on an existing
 * path without `patched()`) fails here with the SDK's nondeterminism error and the history's name.
 */
import { Worker } from '@temporalio/worker';
import { readdirSync } from 'node:fs';
import { payloadDataConverter } from '../../codec/data-converter';
import { loadWorkflowBundle } from '../../worker/worker';
import { testPayloadKeyring } from '../support/payload-keys';
import { installQuietRuntime } from '../support/stack';
import { HISTORIES_DIR, RECORDED_HISTORIES, loadHistory } from './histories';

beforeAll(installQuietRuntime);

test('every recorded history is there, and none unlisted', () => {
  const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
  expect(files.sort()).toEqual([...RECORDED_HISTORIES].sort());
});

test('every recorded history replays on the workflow code of today', async () => {
  const options = { workflowBundle: await loadWorkflowBundle(), dataConverter: payloadDataConverter(testPayloadKeyring()) };
  const failures: { name: string; error: string }[] = [];
  const histories = RECORDED_HISTORIES.map((name) => ({ workflowId: name, history: loadHistory(name) }));
  for await (const result of Worker.runReplayHistories(options, histories)) {
    if (result.error) failures.push({ name: result.workflowId, error: String(result.error) });
  }
  expect(failures).toEqual([]);
});
