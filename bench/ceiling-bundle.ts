/**
 * The ceiling's own workflow bundle: the ceiling is no part of the product's bundle
 * (workflows/index.ts), so the ceiling's worker runs this one. Made like the product's
 * (worker/worker.ts `bundleWorkflows`), with the failure converter inside, so that both pay the same.
 */
import { bundleWorkflowCode, type Logger, type WorkflowBundleOption } from '@temporalio/worker';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';

export function bundleCeilingWorkflow(logger: Logger): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'ceiling-workflow.ts'), failureConverterPath: FAILURE_CONVERTER_PATH, logger });
}

/** The bundle the benchmark made before starting the worker (`WORKFLOW_BUNDLE_PATH`), or a new one. */
export async function loadCeilingBundle(logger: Logger, bundlePath = process.env.WORKFLOW_BUNDLE_PATH): Promise<WorkflowBundleOption> {
  if (bundlePath) return { code: await readFile(bundlePath, 'utf8') };
  return bundleCeilingWorkflow(logger);
}
