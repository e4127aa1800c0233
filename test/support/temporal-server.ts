/**
 * The test run's Temporal server: `TestWorkflowEnvironment.createLocal` from @temporalio/testing
 * over the CLI that scripts/install-temporal.ts builds (`executable: existing-path`), since this
 * machine cannot download the SDK's own copy, nor the time-skipping server. In memory, on a free
 * port, with the product's search attributes and SQLite pragmas for speed. The SDK spawns and kills
 * the process; `npm start`, chaos and the benchmark keep worker/temporal-dev-server.ts, which
 * @temporalio/testing (a dev dependency) does not replace in production code.
 */
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalBinary } from '../../worker/temporal-dev-server';
import { installQuietRuntime } from './quiet-runtime';
import { ORDER_ID_KEY, PAYOUT_STATUS_KEY, SELLER_ID_KEY } from '../../workflows/search-attributes';

/**
 * The SDK gives a fresh server 5 s to answer; on a loaded two-core machine the first start may
 * take longer, and a second try after it killed the first is cheaper than a red run.
 */
const START_ATTEMPTS_MAX = 3;
/** How long the `default` namespace may take to answer once the port does. */
const NAMESPACE_READY_MS_MAX = 30_000;

export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  // The runtime that owns the server process; quiet, like the tests' own.
  installQuietRuntime();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: temporalBinary() },
          searchAttributes: [SELLER_ID_KEY, ORDER_ID_KEY, PAYOUT_STATUS_KEY],
          log: { format: 'json', level: 'error' },
          extraArgs: ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF'],
        },
      });
      await namespaceReady(env.connection);
      return env;
    } catch (err) {
      if (attempt >= START_ATTEMPTS_MAX) throw err;
    }
  }
}

/** The SDK waits for the port only; the first test's calls need the namespace. */
async function namespaceReady(connection: Connection): Promise<void> {
  const deadline = Date.now() + NAMESPACE_READY_MS_MAX;
  for (;;) {
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
