/**
 * The typed client of openapi.yaml (openapi-fetch over the generated `paths`), so a contract change
 * breaks the build of these pages, not the pages. The bearer token comes from sessionStorage: it
 * lives as long as the tab, and never in a cookie that another site's request would carry.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../../api/generated/openapi';
import { errorWords } from './words';

export type Schemas = components['schemas'];

const TOKEN_KEY = 'payouts.token';

export interface Claims {
  sub: string;
  role: 'seller' | 'sub_account' | 'buyer' | 'auditor' | 'system';
  seller_id?: string;
  exp?: number;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims as the page needs them (the server verifies the signature, not the page). */
export function claimsOf(token: string | null): Claims | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Claims;
    return typeof claims.sub === 'string' && typeof claims.role === 'string' ? claims : null;
  } catch {
    return null;
  }
}

const bearer: Middleware = {
  onRequest({ request }) {
    const token = storedToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(bearer);

/** A refusal from the API, with its SPEC code and the words the page shows for it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, unknown>,
  ) {
    super(errorWords(code, details));
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or an ApiError in words. */
export async function must<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call.catch(() => {
    throw new ApiError(0, 'SERVICE_UNAVAILABLE', {});
  });
  if (response.ok && data !== undefined) return data;
  throw refusalOf(response, error);
}

/** The ApiError of a refused answer, from its `{"error": {"code", ...}}` body. */
export function refusalOf(response: Response, error: unknown): ApiError {
  const body = (error ?? {}) as { error?: { code?: string } & Record<string, unknown> };
  return new ApiError(response.status, body.error?.code ?? `HTTP_${response.status}`, body.error ?? {});
}

/** A fresh Idempotency-Key for one user action; a retry of that action reuses it. */
export function newIdempotencyKey(): string {
  // getRandomValues, unlike randomUUID, also works on a page served over plain http off localhost.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
