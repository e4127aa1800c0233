/** Rows every module may use: the API's idempotency records and the service's named settings. */
import type { InferEntity } from '@mikro-orm/core';
import { orNull, p, table, time } from '../columns';

export const IdempotencyRecord = table('IdempotencyRecord', 'idempotency_keys', {
  principal: p.string().primary(),
  operation: p.string().primary(),
  idemKey: p.string().primary(),
  requestHash: p.string(),
  statusCode: orNull(p.integer()),
  responseBody: orNull(p.json<unknown>()),
  createdAt: time(),
});
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecord>;

/** A key's row's own key: the principal (`principalKey`), the operation and the key. */
export type IdempotencyKeyOf = Pick<IdempotencyRecord, 'principal' | 'operation' | 'idemKey'>;

/** What answers a replay of a key (api/idempotency.ts): the body's hash, and the answer, null while the first attempt runs. */
export type StoredAnswer = Pick<IdempotencyRecord, 'requestHash' | 'statusCode' | 'responseBody'>;

export const Setting = table('Setting', 'settings', {
  name: p.string().primary(),
  value: p.json<unknown>(),
  updatedAt: time(),
});
export type Setting = InferEntity<typeof Setting>;

export const COMMON_ENTITIES = [IdempotencyRecord, Setting];
