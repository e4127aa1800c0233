/**
 * The ceiling's own workflow bundle: the ceiling is no part of the product's bundle
 * (workflows/index.ts), so the ceiling's worker runs this one. Made like the product's
 * (worker/worker.ts `bundleWorkflowsOf`): the failure converter inside and the workflow module
 * preloaded, so that both pay the same.
 */
import type { Logger, WorkflowBundleOption } from '@temporalio/worker';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowsOf } from '../worker/worker';

export function bundleCeilingWorkflow(logger: Logger): Promise<{ code: string }> {
  return bundleWorkflowsOf(path.join(__dirname, 'ceiling-workflow.ts'), logger);
}

/** The bundle the benchmark made before starting the worker (`WORKFLOW_BUNDLE_PATH`), or a new one. */
export async function loadCeilingBundle(logger: Logger, bundlePath = process.env.WORKFLOW_BUNDLE_PATH): Promise<WorkflowBundleOption> {
  if (bundlePath) return { code: await readFile(bundlePath, 'utf8') };
  return bundleCeilingWorkflow(logger);
}
