/**
 * The one place where a SPEC §8 error code becomes an HTTP status (the domain knows codes and
 * messages only). Typed over every `ErrorCode`, so a new code does not compile until it has a status.
 */
import type { DomainError, ErrorCode } from '../domain/errors';

export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  ORDER_ALREADY_PAID_OUT: 409,
  PAYOUT_NOT_AWAITING_CONFIRMATION: 409,
  PAYOUT_NOT_PENDING_APPROVAL: 409,
  ORDER_PARTIES_LOCKED: 409,
  FEATURE_DISABLED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
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
  EXPORT_TOO_LARGE: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
});

/** The HTTP status a refusal is answered with. */
export function httpStatus(err: DomainError): number {
  return ERROR_STATUS[err.code];
}
