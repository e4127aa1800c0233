/** The workflow code bundled once for a run's workers (WORKFLOW_BUNDLE_PATH), so that none spends its start-up on webpack. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../../worker/worker';

/** A logger for the bundler and the SDK that says only errors. */
export const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

/** Bundles the workflows into `dir`/workflow-bundle.js and answers its path. */
export async function writeWorkflowBundle(dir: string): Promise<string> {
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows(quietLogger)).code);
  return bundlePath;
}
