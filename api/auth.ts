/**
 * Bearer JWT authentication (SPEC §8): HS256 only, `exp` required, clock skew bounded. Anything
 * else (missing, malformed, expired, wrongly signed, another algorithm, `alg: none`) is 401.
 */
import { jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../domain/errors';
import { ROLES, type Role } from './spec';

export interface Principal {
  /** The account id (`sub`). */
  id: string;
  role: Role;
  /** The seller the principal acts for: its own id for a seller, `seller_id` for a sub-account. */
  sellerId: string | null;
}

/** Tolerated difference between our clock and the issuer's. */
const CLOCK_SKEW_S = 30;
const TOKEN_LENGTH_MAX = 4_096;
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export async function authenticate(header: string | undefined, secret: Uint8Array): Promise<Principal> {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header ?? '');
  if (!match || match[1].length > TOKEN_LENGTH_MAX) throw new DomainError('UNAUTHENTICATED', 'a bearer token is required');
  let payload;
  try {
    ({ payload } = await jwtVerify(match[1], secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'], clockTolerance: CLOCK_SKEW_S }));
  } catch {
    throw new DomainError('UNAUTHENTICATED', 'the token is invalid or expired');
  }
  const role = payload.role as Role;
  const sub = payload.sub!;
  if (!ROLES.includes(role) || !ID_PATTERN.test(sub)) throw new DomainError('UNAUTHENTICATED', 'the token has no valid role or subject');
  if (role === 'seller') return { id: sub, role, sellerId: sub };
  if (role === 'sub_account') {
    const sellerId = payload.seller_id;
    if (typeof sellerId !== 'string' || !ID_PATTERN.test(sellerId)) throw new DomainError('UNAUTHENTICATED', 'a sub-account token needs seller_id');
    return { id: sub, role, sellerId };
  }
  return { id: sub, role, sellerId: null };
}

/** Mints a token: for development (`npm start` prints some) and tests. */
export async function issueToken(secret: Uint8Array, claims: { sub: string; role: Role; seller_id?: string }, ttl = '12h'): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.seller_id ? { seller_id: claims.seller_id } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
}

export const secretKey = (secret: string) => new TextEncoder().encode(secret);
