/**
 * How the project reads the gRPC errors of the Temporal service: one list of the codes that mean
 * "not now" rather than "never", named from gRPC's own `status` enum, for the API, the activities,
 * start-up and the benchmark alike.
 */
import { status } from '@grpc/grpc-js';
import { isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';

/**
 * DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED (Temporal busy), UNAVAILABLE (restarting or
 * unreachable), ABORTED, and FAILED_PRECONDITION (an update-with-start the server could not run this
 * time). A caller answers these with 503 and retries; any other code is an answer.
 */
export const TRANSIENT_GRPC_CODES: ReadonlySet<status> = new Set([
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.FAILED_PRECONDITION,
  status.ABORTED,
  status.UNAVAILABLE,
]);

/** Errors are wrapped at most this deep (the client's ServiceError around the gRPC error). */
const CAUSE_DEPTH_MAX = 3;

/** The error and the errors it wraps, outermost first, at most CAUSE_DEPTH_MAX of them. */
function* causeChain(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e && depth < CAUSE_DEPTH_MAX; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

/** The gRPC status code of an error, or of the error it wraps. */
export function grpcCode(err: unknown): status | undefined {
  for (const e of causeChain(err)) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** Temporal did not answer in time or cannot answer now: retry later. */
export function isTransientGrpcError(err: unknown): boolean {
  const code = grpcCode(err);
  return isGrpcDeadlineError(err) || (code !== undefined && TRANSIENT_GRPC_CODES.has(code));
}

/**
 * The server said the client's namespace was not found. The API's calls name the namespace it
 * started with, so on a server that answered before this is its namespace registry failing for a
 * moment (the dev server did under 100,000 open payouts): "not now", answered 503 by the API.
 */
export function isGrpcNamespaceNotFound(err: unknown): boolean {
  if (grpcCode(err) !== status.NOT_FOUND) return false;
  return [...causeChain(err)].some((e) => e instanceof Error && /namespace .* not found/i.test(e.message));
}

/** The workflow, run or namespace asked for does not exist (any more). */
export function isGrpcNotFound(err: unknown): boolean {
  return grpcCode(err) === status.NOT_FOUND;
}

/**
 * A call made under the client's deadline that did not answer before it: the deadline is passed to
 * the server, but a long poll (a workflow's result) is cut by the client, which reports CANCELLED.
 * Either way the answer is "not yet" (503), never a failure of its own.
 */
export function isPastDeadline(err: unknown, deadlineMs: number): boolean {
  return isTransientGrpcError(err) || (grpcCode(err) === status.CANCELLED && Date.now() >= deadlineMs);
}
