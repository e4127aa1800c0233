/**
 * `Idempotency-Key` (SPEC §8): the same key and body replays the first response; the same key with
 * another body is 409 `IDEMPOTENCY_KEY_REUSED`. Keys are scoped to the operation and the whole
 * principal — role, seller and account (`principalKey`) — since sub-accounts of two sellers may
 * share an id.
 *
 * Concurrent first attempts with one key may both run, so the key also derives the id of what the
 * operation creates (`idFromKey`): both attempts then address the same payout workflow or the same
 * ledger movement, and the database's unique keys let only one of them take effect.
 *
 * Most operations claim the key with a row before they run and complete it with their answer: two
 * commits. A payout's create is the busiest write and its reservation already commits, so its 201
 * answer is the payout that transaction reserves, which keeps the body's hash (`storedAnswer`,
 * issue 18): the key and the payout are read first, and only a refusal is written here.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/mysql';
import { IdempotencyRecord, type IdempotencyKeyOf, type StoredAnswer } from '../db/common/entities';
import { insertOnce } from '../db/insert-once';
import { DomainError } from '../domain/errors';
import type { IdempotencyKey } from '../domain/payout';
import { wellFormed } from '../domain/unicode';
import type { Logger } from '../logger';
import { principalKey, type Principal } from './auth';
import { httpStatus } from './errors';

export interface Outcome {
  status: number;
  body: unknown;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A UUID derived from the operation, the principal and the key (a fresh one without a key). */
export function idFromKey(operation: string, principal: Principal, key: string | undefined): string {
  if (!key) return randomUUID();
  const hex = sha256(`${operation}:${principalKey(principal)}\u0000${key}`);
  // Version 8 (custom) UUID layout, so the id is a valid UUID and never collides with v4 ones.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface IdempotencyScope {
  principal: Principal;
  operation: string;
  key: string | undefined;
  body: unknown;
  now: Date;
  log: Logger;
  /**
   * The operation keeps its own 2xx answer, in the transaction that does its work (a payout's
   * reservation, issue 18), and this reads it, with the key's row, in one statement
   * (db/payouts/payouts.ts `createdAnswerOf`): the key is then read first instead of claimed, and
   * only a refusal is stored here. Two first attempts at once both run; the operation must tell a
   * second body from the first itself (the payout workflow's `reserve` validator does).
   */
  storedAnswer?: (em: EntityManager, key: IdempotencyKeyOf) => Promise<StoredAnswer | null>;
}

export async function withIdempotency(em: EntityManager, scope: IdempotencyScope, run: (key: IdempotencyKey | null) => Promise<Outcome>): Promise<Outcome> {
  const { operation, key } = scope;
  const principal = principalKey(scope.principal);
  if (!key) return run(null);
  const requestHash = sha256(JSON.stringify(scope.body ?? null));
  const id = { principal, operation, idemKey: key };
  // Whether a row under the key waits for its answer: this attempt's claim, or one made before the
  // operation stored its own answers.
  let claimed: boolean;
  if (scope.storedAnswer) {
    const record = await scope.storedAnswer(em.fork(), id);
    if (record) {
      const replayed = replay(record, requestHash);
      if (replayed) return replayed;
    }
    claimed = record !== null;
  } else {
    const fresh = await insertOnce(em, IdempotencyRecord, { ...id, requestHash, statusCode: null, responseBody: null, createdAt: scope.now }, ['principal', 'operation', 'idemKey']);
    // The key was there already: a replay, a concurrent first attempt, or a reuse with another body.
    if (!fresh) {
      const replayed = replay(await em.fork().findOneOrFail(IdempotencyRecord, id), requestHash);
      if (replayed) return replayed;
    }
    claimed = true;
  }
  let outcome: Outcome;
  try {
    outcome = await run({ principal, key, requestHash });
  } catch (err) {
    // Refusals are answers too and replay as such; failures (5xx) are not stored, so a retry runs
    // again. Nor is IDEMPOTENCY_KEY_REUSED (the operation's own check, when two first attempts with
    // two bodies both got past the read): it answers another body than the key's, and stored it
    // would answer the key's own body too.
    if (!(err instanceof DomainError) || httpStatus(err) >= 500 || err.code === 'IDEMPOTENCY_KEY_REUSED') throw err;
    outcome = { status: httpStatus(err), body: errorBody(err) };
  }
  if (scope.storedAnswer && outcome.status < 300 && !claimed) return outcome;
  await storeOutcome(em, { ...id, requestHash, createdAt: scope.now }, claimed, outcome, scope.log);
  return outcome;
}

/** The stored answer to replay; undefined when the key's first attempt has not answered yet. */
function replay(record: StoredAnswer, requestHash: string): Outcome | undefined {
  if (record.requestHash !== requestHash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body');
  }
  return record.statusCode === null ? undefined : { status: record.statusCode, body: record.responseBody };
}

/**
 * Stores the answer for replays: completes the key's claim, or writes the whole row when nothing
 * claimed the key. The work is done by now (a payout's workflow may be holding the
 * money), so a failure to store must not turn it into a 500: the answer goes out, the failure is
 * logged, and a retry with the key runs again — which is harmless, because every id the operation
 * creates derives from the key (`idFromKey`), and answers the same. The body is made well-formed
 * first, so that the database's JSON check cannot refuse what the request was allowed to send.
 */
async function storeOutcome(
  em: EntityManager,
  row: { principal: string; operation: string; idemKey: string; requestHash: string; createdAt: Date },
  claimed: boolean,
  outcome: Outcome,
  log: Logger,
): Promise<void> {
  const { principal, operation, idemKey } = row;
  const answer = { statusCode: outcome.status, responseBody: wellFormed(outcome.body) };
  try {
    if (claimed) await em.fork().nativeUpdate(IdempotencyRecord, { principal, operation, idemKey, statusCode: null }, answer);
    else await insertOnce(em.fork(), IdempotencyRecord, { ...row, ...answer }, ['principal', 'operation', 'idemKey']);
  } catch (err) {
    // A warning: the answer went out, and a retry with the key is harmless (it runs again, the same).
    log.warn({ principal, operation, idemKey, err }, 'idempotent answer not stored; a retry runs the operation again');
  }
}

export function errorBody(err: DomainError): { error: Record<string, unknown> } {
  return { error: { code: err.code, message: err.message, ...err.details } };
}
