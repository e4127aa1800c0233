/**
 * The SPEC §8 error codes, and the one typed error that carries them.
 *
 * A `DomainError` is an expected refusal (a rule, a limit, a state): the HTTP layer maps its code to
 * a status in one place (`api/errors.ts`) and, inside Temporal, it travels as a non-retryable
 * `ApplicationFailure` whose `type` is the code. This module is pure so that workflows may import it;
 * it knows nothing of HTTP.
 */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'ORDER_ALREADY_PAID_OUT',
  'PAYOUT_NOT_AWAITING_CONFIRMATION',
  /** Approve or reject of a payout that no longer waits for approval (SPEC §5 maker-checker). */
  'PAYOUT_NOT_PENDING_APPROVAL',
  /** An order update that would give an order with a payout another seller or buyer (SPEC §6). */
  'ORDER_PARTIES_LOCKED',
  'FEATURE_DISABLED',
  'IDEMPOTENCY_KEY_REUSED',
  'ORDER_NOT_ELIGIBLE',
  'AMOUNT_EXCEEDS_CASH_SHARE',
  'AMOUNT_EXCEEDS_ORDER_LIMIT',
  'DAILY_COUNT_LIMIT_REACHED',
  'DAILY_AMOUNT_LIMIT_REACHED',
  'INSUFFICIENT_RESERVE',
  'LIMIT_ABOVE_SYSTEM_CAP',
  'AGREEMENT_REQUIRED',
  'AGREEMENT_REFUSED',
  'PROVIDER_REFUSED',
  /** A CSV export that would exceed its row bound; the caller narrows the filters. */
  'EXPORT_TOO_LARGE',
  /** The request was not received in time (api/http-server.ts). */
  'REQUEST_TIMEOUT',
  'PAYLOAD_TOO_LARGE',
  /** The request line and headers exceed their bound (api/http-server.ts). */
  'HEADERS_TOO_LARGE',
  'RATE_LIMITED',
  /** A dependency (Temporal, the database) is down or did not answer in time; the caller retries. */
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Numbers and names that explain a refusal (limit, used, asked, the existing payout...). */
export type ErrorDetails = Record<string, string | number | boolean | null>;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}
