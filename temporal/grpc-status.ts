/**
 * How the project reads the errors of the Temporal service: one definition of "not now" rather
 * than "never" (a list of codes, named from gRPC's own `status` enum, and a namespace not found)
 * and one of "the workflow is gone", for the API, the activities, start-up and the benchmark alike.
 */
import { status } from '@grpc/grpc-js';
import { isGrpcDeadlineError, isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';

/**
 * DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED (Temporal busy), UNAVAILABLE (restarting or
 * unreachable), ABORTED, and FAILED_PRECONDITION (an update-with-start the server could not run this
 * time). A caller answers these with 503 and retries; any other code is an answer, but for the
 * NOT_FOUND of a namespace (isNamespaceNotFound).
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

/**
 * Temporal did not answer in time or cannot answer now: retry later. A namespace the server says
 * it did not find is one of these (isNamespaceNotFound).
 */
export function isTransientGrpcError(err: unknown): boolean {
  const code = grpcCode(err);
  return isGrpcDeadlineError(err) || (code !== undefined && TRANSIENT_GRPC_CODES.has(code)) || isNamespaceNotFound(err);
}

/**
 * Temporal did not answer a call in time: "not now" (isTransientGrpcError), or an update's call
 * the client cut at its deadline. The product's gateway and the benchmark's ceiling answer it 503.
 */
export function isUnansweredInTime(err: unknown): boolean {
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isTransientGrpcError(err);
}

/** The server's words for a namespace it did not find (Temporal's serviceerror.NewNamespaceNotFound). */
const NAMESPACE_NOT_FOUND = /^Namespace \S+ is not found\.$/;

/**
 * The server said the namespace was not found: as the client's NamespaceNotFoundError (what an
 * update, signal, start or result rejects with), or as the NOT_FOUND of a raw service call. The API
 * and the worker check their namespace when they start (startup/temporal-check.ts), so from then
 * on this is "not now": Temporal 1.29's namespace registry reports a read of the namespace that
 * timed out as not found (nsregistry/registry.go, "TODO: we should return the actual error we got
 * (e.g. timeout)"), and the dev server said so under 100,000 open payouts. Never "the workflow is
 * gone".
 */
export function isNamespaceNotFound(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (e instanceof NamespaceNotFoundError) return true;
    if (isGrpcServiceError(e) && e.code === status.NOT_FOUND && NAMESPACE_NOT_FOUND.test(e.details)) return true;
  }
  return false;
}

/**
 * The workflow or run asked for does not exist (any more): the client's WorkflowNotFoundError or a
 * NOT_FOUND from a raw service call, but never a namespace not found, which is "not now".
 */
export function isWorkflowNotFound(err: unknown): boolean {
  return (err instanceof WorkflowNotFoundError || grpcCode(err) === status.NOT_FOUND) && !isNamespaceNotFound(err);
}

/**
 * A call made under the client's deadline that did not answer before it: the deadline is passed to
 * the server, but a long poll (a workflow's result) is cut by the client, which reports CANCELLED.
 * Either way the answer is "not yet" (503), never a failure of its own.
 */
export function isPastDeadline(err: unknown, deadlineMs: number): boolean {
  return isTransientGrpcError(err) || (grpcCode(err) === status.CANCELLED && Date.now() >= deadlineMs);
}
