/**
 * The stdout lines by which the ceiling's child processes say they are ready (the product's are
 * in test/support/processes.ts). Kept apart from the entry points so that importing a constant
 * never starts a server.
 */
export const CEILING_API_READY_LINE = 'bench-ceiling-api: listening';
export const CEILING_WORKER_READY_LINE = 'bench-ceiling-worker: polling';
