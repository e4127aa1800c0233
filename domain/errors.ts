/**
 * The SPEC §8 error codes, and the one typed error that carries them.
 *
 * A `DomainError` is an expected refusal (a rule, a limit, a state): it is mapped to an HTTP
 * status in one place (`api/errors.ts`) and, inside Temporal, travels as a non-retryable
 * `ApplicationFailure` whose `type` is the code. This module is pure so that workflows may import it.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ORDER_ALREADY_PAID_OUT: 409,
  PAYOUT_NOT_AWAITING_CONFIRMATION: 409,
  /** An order update that would give an order with a payout another seller or buyer (SPEC §6). */
  ORDER_PARTIES_LOCKED: 409,
  FEATURE_DISABLED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  ORDER_NOT_ELIGIBLE: 422,
  AMOUNT_EXCEEDS_CASH_SHARE: 422,
  AMOUNT_EXCEEDS_ORDER_LIMIT: 422,
  DAILY_COUNT_LIMIT_REACHED: 422,
  DAILY_AMOUNT_LIMIT_REACHED: 422,
  INSUFFICIENT_RESERVE: 422,
  LIMIT_ABOVE_SYSTEM_CAP: 422,
  AGREEMENT_REQUIRED: 422,
  AGREEMENT_REFUSED: 422,
  PROVIDER_REFUSED: 422,
  /** A CSV export that would exceed its row bound; the caller narrows the filters. */
  EXPORT_TOO_LARGE: 422,
  /** The request was not received in time (api/http-server.ts). */
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  /** The request line and headers exceed their bound (api/http-server.ts). */
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

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

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}
