/**
 * The stdout lines by which the benchmark's child processes say they are ready. Kept apart from the
 * entry points so that importing a constant never starts a server.
 */
export const CEILING_API_READY_LINE = 'bench-ceiling-api: listening';
export const CEILING_WORKER_READY_LINE = 'bench-ceiling-worker: polling';
/** Printed by api/main.ts once it listens. */
export const API_READY_LINE = 'api: listening';
/** Printed by worker/main.ts once its worker is built and about to poll. */
export const WORKER_READY_LINE = 'worker: polling';
