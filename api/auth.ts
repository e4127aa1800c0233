/**
 * Bearer JWT authentication (SPEC §8): HS256 only; `exp` and `iat` required; a lifetime of at most
 * AUTH_MAX_TOKEN_TTL; clock skew bounded. Every claim is type-checked, not only read: `sub` and
 * `seller_id` are strings of the id pattern (a number or an array would be turned into matching
 * text by a regular expression, and into a DOUBLE comparison by MySQL), `role` one of the known
 * roles. Anything else (missing, malformed, expired, wrongly signed, another algorithm, `alg: none`,
 * a claim of the wrong type) is 401.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../domain/errors';
import { isId, type Id } from '../domain/id';
import { ROLES, type Role } from './spec';

export interface Principal {
  /** The account id (`sub`). */
  id: Id;
  role: Role;
  /** The seller the principal acts for: its own id for a seller, `seller_id` for a sub-account. */
  sellerId: Id | null;
}

/**
 * The principal as one key: role, seller and account. Account ids are only unique within a role
 * and, for sub-accounts, within their seller, so idempotency scopes, rate-limit buckets and log
 * lines use all three.
 */
export function principalKey(principal: { role: Role; sellerId: string | null; id: string }): string {
  return `${principal.role}:${principal.sellerId ?? ''}:${principal.id}`;
}

/** Tolerated difference between our clock and the issuer's. */
export const CLOCK_SKEW_S = 30;
const TOKEN_LENGTH_MAX = 4_096;
/** AUTH_MAX_TOKEN_TTL when unset: a day. */
export const TOKEN_TTL_MAX_S_DEFAULT = 86_400;

export interface AuthOptions {
  /** The longest lifetime (`exp` − `iat`) a token may declare. */
  tokenTtlMaxS?: number;
  /** Seconds since the epoch; tests give another. */
  nowS?: () => number;
}

/** Seconds since the epoch, as jose reads its clock for `exp`. */
const nowS = () => Math.floor(Date.now() / 1000);

export async function authenticate(header: string | undefined, secret: JwtKey, options: AuthOptions = {}): Promise<Principal> {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header ?? '');
  if (!match || match[1].length > TOKEN_LENGTH_MAX) throw new DomainError('UNAUTHENTICATED', 'a bearer token is required');
  const token = match[1];
  const verified = verifiedTokens(secret);
  const known = verified.get(token);
  // jose refuses a token once `exp` is CLOCK_SKEW_S behind its clock; a cached one likewise.
  if (known && nowS() < known.exp + CLOCK_SKEW_S) {
    checkLifetime(known, options);
    return known.principal;
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'iat', 'sub'], clockTolerance: CLOCK_SKEW_S }));
  } catch {
    verified.delete(token);
    throw new DomainError('UNAUTHENTICATED', 'the token is invalid or expired');
  }
  checkLifetime(payload, options);
  const principal = principalFrom(payload);
  verified.set(token, { principal, iat: payload.iat!, exp: payload.exp! });
  return principal;
}

/** Tokens kept verified per key; the least recently used go first. */
const VERIFIED_TOKENS_MAX = 10_000;

interface VerifiedToken {
  principal: Principal;
  iat: number;
  exp: number;
}

/**
 * The tokens each key verified, by their whole text. A client sends the same token on every
 * request, and verifying it (the HMAC, two JSON parses, the claims) was 6 % of the API's CPU in
 * the benchmark's profile (issue 18). A token is found only by the exact text that passed
 * verification with this key, signature included, and only until it expires (the same 30 s of skew
 * jose allows); its lifetime is checked against the caller's bound on every use. Stateless tokens
 * have no revocation to miss: a cached one is accepted exactly when verifying it again would be.
 */
const verifiedByKey = new WeakMap<JwtKey, LRUCache<string, VerifiedToken>>();

function verifiedTokens(secret: JwtKey): LRUCache<string, VerifiedToken> {
  let cache = verifiedByKey.get(secret);
  if (!cache) verifiedByKey.set(secret, (cache = new LRUCache({ max: VERIFIED_TOKENS_MAX })));
  return cache;
}

/** A token declares when it was issued, not in the future, and lives at most the configured bound. */
function checkLifetime({ iat, exp }: Pick<JWTPayload, 'iat' | 'exp'>, { tokenTtlMaxS = TOKEN_TTL_MAX_S_DEFAULT, nowS: now = nowS }: AuthOptions): void {
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new DomainError('UNAUTHENTICATED', 'the token needs numeric iat and exp');
  }
  if (iat > now() + CLOCK_SKEW_S) throw new DomainError('UNAUTHENTICATED', 'the token was issued in the future');
  if (exp - iat > tokenTtlMaxS) throw new DomainError('UNAUTHENTICATED', `the token lives longer than ${tokenTtlMaxS} s`);
}

function principalFrom(payload: JWTPayload): Principal {
  const { sub, role } = payload as { sub: unknown; role: unknown };
  if (!isRole(role) || !isId(sub)) throw new DomainError('UNAUTHENTICATED', 'the token has no valid role or subject');
  const sellerId: unknown = payload.seller_id;
  if (sellerId !== undefined && !isId(sellerId)) throw new DomainError('UNAUTHENTICATED', 'the token has a seller_id that is not an id');
  if (role === 'seller') return { id: sub, role, sellerId: sub };
  if (role === 'sub_account') {
    if (sellerId === undefined) throw new DomainError('UNAUTHENTICATED', 'a sub-account token needs seller_id');
    return { id: sub, role, sellerId };
  }
  return { id: sub, role, sellerId: null };
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The lifetime of the tokens the project mints (development, tests, chaos, benchmark). */
export const ISSUED_TOKEN_TTL = '12h';

/** Mints a token: for development (`npm start` prints some) and tests. Always with `iat` and `exp`. */
export async function issueToken(secret: JwtKey, claims: { sub: string; role: Role; seller_id?: string }, ttl = ISSUED_TOKEN_TTL): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.seller_id ? { seller_id: claims.seller_id } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
}

/**
 * The HS256 key, as a KeyObject made once: given the secret's bytes, jose makes one from them on
 * every verification, which the API does on every request (issue 18: a few per cent of its CPU).
 */
export type JwtKey = KeyObject | Uint8Array;

export const secretKey = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));
