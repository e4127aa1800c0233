/** Liveness, readiness (database and Temporal reachable, each within a bound) and metrics. */
import type { Handler } from '../types';

/** A readiness probe never waits longer than this for a dependency. */
const PROBE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}

export const getHealth: Handler<'getHealth'> = async () => ({ status: 200, body: { status: 'ok' } });

export const getReadiness: Handler<'getReadiness'> = async (call) => {
  const probes: Record<string, () => Promise<unknown>> = {
    database: () => call.em.getConnection().execute('select 1'),
    // A deadline, not only a race: the client's retries stop with it instead of outliving the probe.
    temporal: () => call.deps.temporal.connection.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () =>
      call.deps.temporal.connection.workflowService.getSystemInfo({})),
  };
  const checks: Record<string, string> = {};
  await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      try {
        await withTimeout(probe(), PROBE_TIMEOUT_MS);
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `unavailable: ${(err as Error).message.slice(0, 120)}`;
      }
    }),
  );
  const ready = Object.values(checks).every((c) => c === 'ok');
  return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'unavailable', checks } };
};

export const getMetrics: Handler<'getMetrics'> = async (call) => ({
  status: 200,
  body: await call.deps.metrics.registry.metrics(),
  contentType: call.deps.metrics.registry.contentType,
});
