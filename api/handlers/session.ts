/** Sign-in and sign-out of a browser (api/session.ts says why the session exists). */
import { CLEARED_SESSION_COOKIE, sessionCookie } from '../session';
import { principalOf, type Handler } from '../types';

export const createSession: Handler<'createSession'> = async (call) => {
  const principal = principalOf(call);
  // The operation takes bearer tokens only, so the credential is always the header's token.
  const { cookie, expiresAt } = sessionCookie(call.bearerToken!, call.deps.clock.now().getTime());
  return { status: 200, body: { accountId: principal.id, role: principal.role, expiresAt: expiresAt.toISOString() }, cookies: [cookie] };
};

export const deleteSession: Handler<'deleteSession'> = async () => ({ status: 200, body: { signedOut: true }, cookies: [CLEARED_SESSION_COOKIE] });
