import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * The SDK's runtime of a test process, quiet: errors only, through the SDK's own console logger, and
 * no forwarding of the core's lines (worker/logging.ts's, which would keep Jest from exiting). Call it
 * before the first worker, replay or test server; once per module registry, so the test server's
 * owner (global setup) and a stack started in the same process (`npm run screenshots`) share it.
 */
export function installQuietRuntime(): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  installed = true;
}
