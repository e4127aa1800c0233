/**
 * The browser session (SPEC §7): the Temporal UI calls our codec endpoint from another origin and
 * cannot send our bearer tokens, only cookies ("include credentials") or its own OIDC token. A
 * sign-in (`POST /v1/session`, which the console calls) puts the caller's bearer token into an
 * HttpOnly cookie; the cookie is then accepted, exactly as that bearer token would be, by the
 * operations whose `security` in openapi.yaml lists the `session` scheme, and by no other.
 *
 * The cookie holds the token itself rather than a credential of its own: it lives no longer than
 * the token, and every check of a bearer token applies to it unchanged.
 */
import { decodeJwt } from 'jose';

export const SESSION_COOKIE = 'payouts_session';

export interface SessionCookie {
  name: string;
  /** Empty to clear the cookie. */
  value: string;
  maxAgeMs: number;
}

/** The cookie that signs a browser in with `token` until the token expires (it was verified already). */
export function sessionCookie(token: string, nowMs: number): { cookie: SessionCookie; expiresAt: Date } {
  const expiresAt = new Date((decodeJwt(token).exp ?? 0) * 1000);
  return { cookie: { name: SESSION_COOKIE, value: token, maxAgeMs: Math.max(0, expiresAt.getTime() - nowMs) }, expiresAt };
}

export const CLEARED_SESSION_COOKIE: SessionCookie = { name: SESSION_COOKIE, value: '', maxAgeMs: 0 };
