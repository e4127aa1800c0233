/** Rows every module may use: the API's idempotency records and the service's named settings. */
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { orNull, p, time } from '../columns';

export const IdempotencyRecord = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_keys',
  properties: {
    principal: p.string().primary(),
    operation: p.string().primary(),
    idemKey: p.string().primary(),
    requestHash: p.string(),
    statusCode: orNull(p.integer()),
    responseBody: orNull(p.json<unknown>()),
    createdAt: time(),
  },
});
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecord>;

export const Setting = defineEntity({
  name: 'Setting',
  tableName: 'settings',
  properties: {
    name: p.string().primary(),
    value: p.json<unknown>(),
    updatedAt: time(),
  },
});
export type Setting = InferEntity<typeof Setting>;

export const COMMON_ENTITIES = [IdempotencyRecord, Setting];
