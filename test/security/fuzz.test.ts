/**
 * Property-based fuzzing of the API edge with fast-check, against the live stack: bodies, raw
 * text, content types, path and query values, sent to every operation of openapi.yaml as a role
 * that may call it. Whatever arrives, the answer is never a 5xx, every error is
 * `{error: {code, message}}` with the status of its code and no stack trace or SQL in it, and
 * nothing moves: the seller's balances, usage, payouts, ledger entries, order, sub-account and
 * cards' read marks are the same before and after.
 *
 * Valid-by-chance bodies would legitimately change state, so: mutated bodies are invalid by
 * construction (each breaks one rule of the schema, and a self-check below confirms it without
 * HTTP); arbitrary bodies are filtered with the operation's own validator, and only 4xx answers
 * are expected of what is left. Also here: the body size limit, `x-request-id`, unknown query
 * parameters and crafted cursors.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import request from 'supertest';
import { parse } from 'yaml';
import { principalKey } from '../../api/auth';
import { buildApi } from '../../api/server';
import { loadOperations, OPENAPI_PATH, type Operation, type Role } from '../../api/spec';
import { IdempotencyRecord } from '../../db/common/entities';
import { LedgerEntry } from '../../db/ledger/entities';
import { Notification } from '../../db/notifications/entities';
import { Order } from '../../db/orders/entities';
import { Payout } from '../../db/payouts/entities';
import { SubAccount } from '../../db/reserve/entities';
import { ERROR_STATUS } from '../../api/errors';
import { isErrorCode } from '../../domain/errors';
import { isWellFormed } from '../../domain/unicode';
import { conformingRequest } from '../support/contract';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

/** Runs per property; the total is asserted at the end (see `CASES_MIN`). */
const RUNS = { arbitraryBodies: 1_000, mutatedBodies: 1_500, rawText: 300, pathsAndQueries: 500, illFormedBodies: 400 } as const;
const CASES_MIN = 3_000;
/** Reproducible by default; FUZZ_SEED=random (or a number) explores further. */
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() : Number(process.env.FUZZ_SEED ?? 20_240_601);

const operations = loadOperations();
const writes = operations.filter((o) => o.method !== 'get');
const reads = operations.filter((o) => o.method === 'get');
/** Arbitraries carry operation ids, so that a counterexample prints short; this finds the operation. */
const operationById = new Map(operations.map((o) => [o.operationId as string, o]));
const byId = (id: string) => operationById.get(id)!;
const idsOf = (list: Operation[]) => list.map((o) => o.operationId as string);

/** A stack trace, a file position, SQL or a driver error code: none of it may reach a client. */
const LEAK = /(\n\s+at |\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|\bselect\b|\binsert\b|\bupdate `|\bdelete from\b|\bER_[A-Z_]+|sqlMessage|sqlState|errno|stack)/i;

// ---- The schemas of openapi.yaml, read independently of the server's compiled validators.

type Schema = Record<string, unknown>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const document = parse(readFileSync(OPENAPI_PATH, 'utf8')) as Schema;

function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return resolve(ref.replace(/^(openapi)?#\//, '').split('/').reduce<Schema>((node, key) => node[key] as Schema, document));
}

function branchesOf(schema: Schema): Schema[] {
  const s = resolve(schema);
  return Array.isArray(s.anyOf) ? s.anyOf.map((b) => resolve(b as Schema)) : [s];
}

function typesOf(schema: Schema): Set<string> {
  return new Set(branchesOf(schema).flatMap((b) => (Array.isArray(b.type) ? b.type : [b.type]).map(String)));
}

function bodySchemaOf(operation: Operation): Schema | undefined {
  return operation.validateBody?.schema as Schema | undefined;
}

// ---- The world the fuzzer runs in.

let stack: Stack;
let fuzz: ReturnType<typeof request>;
let server: Server;
let market: Market;
let orderId: string;
let payoutId: string;
let subId: string;
/** The buyer's card of the payout above: a real id for the notification paths. */
let notificationId: number;
let tokens: Partial<Record<Role, string>>;
let before: unknown;
const tally = { cases: 0, skippedValidByChance: 0, statuses: {} as Record<number, number> };

/** A valid example with every property (optional ones too), using the real ids where ids go. */
function validExample(raw: Schema, name = ''): Json {
  const [schema] = branchesOf(raw);
  const real: Record<string, Json> = { orderId, sellerId: market.sellerId, buyerId: market.buyerId, orderIds: [orderId], sellerIds: [market.sellerId], authCode: 'OK-fuzz' };
  if (name in real) return real[name];
  if (Array.isArray(schema.enum)) return schema.enum[0] as Json;
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, validExample(s, key)]));
    }
    case 'integer':
      return Math.max(1, Number(schema.minimum ?? 1));
    case 'array':
      return [validExample(schema.items as Schema)];
    case 'boolean':
      return true;
    case 'string':
      return 'fuzz';
    default:
      throw new Error(`no example for ${JSON.stringify(schema)}`);
  }
}

/** Values that break `schema` by construction: a wrong JSON type, or a bound, length, pattern or enum broken. */
function invalidFor(raw: Schema): fc.Arbitrary<Json> {
  const types = typesOf(raw);
  const options: fc.Arbitrary<Json>[] = [];
  if (!types.has('string')) options.push(fc.string({ maxLength: 20 }), fc.constantFrom('1', '0', '', 'true', 'null', '1e3'));
  if (!types.has('boolean')) options.push(fc.boolean());
  if (!types.has('null')) options.push(fc.constant(null));
  if (!types.has('object')) options.push(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>, { maxKeys: 3 }));
  if (!types.has('array')) options.push(fc.array(fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>, { maxLength: 3 }));
  if (!types.has('integer')) options.push(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  for (const branch of branchesOf(raw)) {
    if (branch.type === 'integer') options.push(...invalidIntegers(branch));
    if (branch.type === 'string') options.push(...invalidStrings(branch));
    if (branch.type === 'array') options.push(...invalidArrays(branch));
  }
  return fc.oneof(...options);
}

function invalidIntegers(schema: Schema): fc.Arbitrary<Json>[] {
  const [min, max] = [schema.minimum as number | undefined, schema.maximum as number | undefined];
  const options: fc.Arbitrary<Json>[] = [
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
    fc.constantFrom(0.5, 1.5, 99.99, 1e-7, -0.01, 4_500.000_001),
  ];
  if (min !== undefined) options.push(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: min - 1 }), fc.constantFrom(min - 1, -1, -(2 ** 53) - 2, -1e21, -Number.MAX_VALUE));
  if (max !== undefined) options.push(fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(max + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e21, 1e300, Number.MAX_VALUE));
  return options;
}

function invalidStrings(schema: Schema): fc.Arbitrary<Json>[] {
  const options: fc.Arbitrary<Json>[] = [];
  const [minLength, maxLength] = [Number(schema.minLength ?? 0), schema.maxLength as number | undefined];
  if (maxLength !== undefined) {
    options.push(fc.string({ unit: 'grapheme', minLength: maxLength + 1, maxLength: maxLength + 64 }), fc.constant('x'.repeat(maxLength + 1)));
  }
  if (minLength >= 1) options.push(fc.constant(''));
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern, 'u');
    options.push(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !pattern.test(s)),
      fc.constantFrom(' ', 'a b', '../x', "x'; drop table orders;--", '订单-1', 'a\u0000b', '%2F', 'order\n1', '😀'),
    );
  }
  if (Array.isArray(schema.enum)) {
    const allowed = schema.enum as string[];
    options.push(
      fc.string({ maxLength: 24 }).filter((s) => !allowed.includes(s)),
      fc.constantFrom(...allowed.flatMap((e) => [e.toLowerCase(), `${e} `, ` ${e}`, `${e}\u0000`])),
    );
  }
  return options;
}

function invalidArrays(schema: Schema): fc.Arbitrary<Json>[] {
  const item = fc.nat().map((n) => `order-${n}`);
  const options: fc.Arbitrary<Json>[] = [];
  if (Number(schema.minItems ?? 0) >= 1) options.push(fc.constant([]));
  if (schema.uniqueItems === true) options.push(item.map((id) => [id, id]));
  if (typeof schema.maxItems === 'number') {
    const tooMany = schema.maxItems + 1;
    options.push(fc.tuple(fc.nat(), fc.integer({ min: tooMany, max: tooMany + 5 })).map(([start, n]) => Array.from({ length: n }, (_, i) => `order-${start + i}`)));
  }
  options.push(invalidFor(schema.items as Schema).map((bad) => [bad]));
  return options;
}

interface ObjectNode {
  path: string[];
  schema: Schema;
}

/** Every object node of a body schema, with its path from the root. */
function objectNodes(raw: Schema, path: string[] = []): ObjectNode[] {
  const [schema] = branchesOf(raw);
  if (schema.type !== 'object') return [];
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return [{ path, schema }, ...Object.entries(properties).flatMap(([key, s]) => objectNodes(s, [...path, key]))];
}

/** The path of every string in a body schema: string properties, and the first item of arrays of strings. */
function stringFields(raw: Schema): string[][] {
  return objectNodes(raw).flatMap((node) => Object.entries((node.schema.properties ?? {}) as Record<string, Schema>).flatMap(([key, s]) => {
    const path = [...node.path, key];
    if (typesOf(s).has('string')) return [path];
    const [branch] = branchesOf(s);
    return branch.type === 'array' && typesOf(branch.items as Schema).has('string') ? [[...path, '0']] : [];
  }));
}

/** Text holding at least one lone UTF-16 surrogate: valid JSON once escaped, but no character. */
const illFormedText = fc
  .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 8 }))
  .map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`)
  .filter((text) => !isWellFormed(text));

/** Percent-escapes that decode to no UTF-8 text: encoded surrogates, overlong forms, stray bytes. */
const ILL_FORMED_ESCAPES = ['%ED%A0%80', '%ED%BF%BF', 'a%ED%B0%80b', '%C0%AF', '%FF', '%E2%82', '%F4%90%80%80'];

function withValueAt(body: Json, path: string[], value: Json | undefined): Json {
  const copy = structuredClone(body) as Record<string, Json>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, Json>;
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  // defineProperty, so that keys like "__proto__" become plain properties of the JSON text.
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Bodies that each break exactly one rule of the operation's schema. */
function mutatedBodies(operation: Operation): fc.Arbitrary<Json> {
  const schema = bodySchemaOf(operation)!;
  const valid = validExample(schema);
  const extraKey = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'amount ', 'Amount', 'sellerId', 'role', 'id', 'status'));
  // A body of another type; not null where the schema takes it (the auto top-up's `null` turns it off).
  const otherType = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 10 }), fc.array(fc.constant(valid), { maxLength: 2 }));
  const mutations: fc.Arbitrary<Json>[] = [otherType.filter((body) => body !== null || !typesOf(schema).has('null'))];
  for (const node of objectNodes(schema)) {
    const properties = (node.schema.properties ?? {}) as Record<string, Schema>;
    for (const [key, propertySchema] of Object.entries(properties)) {
      mutations.push(invalidFor(propertySchema).map((bad) => withValueAt(valid, [...node.path, key], bad)));
    }
    for (const key of (node.schema.required ?? []) as string[]) mutations.push(fc.constant(withValueAt(valid, [...node.path, key], undefined)));
    if (node.schema.additionalProperties === false) {
      const extra = fc.tuple(extraKey.filter((k) => !(k in properties)), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>);
      mutations.push(extra.map(([key, value]) => withValueAt(valid, [...node.path, key], value)));
    }
  }
  return fc.oneof(...mutations);
}

/** What the server accepts as "no body" on an operation without one. */
const isEmptyBody = (body: unknown) => body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0);

function acceptsBody(operation: Operation, body: unknown): boolean {
  return operation.validateBody ? Boolean(operation.validateBody(body)) : isEmptyBody(body);
}

// ---- Calling the API and judging the answer.

function pathOf(operation: Operation, values: Record<string, string> = {}): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const real = name === 'orderId' ? orderId : operation.path.startsWith('/v1/payouts') ? payoutId : operation.path.includes('/notifications/') ? String(notificationId) : subId;
    return encodeURIComponent(values[name] ?? real);
  });
}

/** The tokens of the roles that may call the operation. */
function callersOf(operation: Operation): fc.Arbitrary<string | undefined> {
  if (operation.roles.includes('anyone')) return fc.constant(undefined);
  const available = operation.roles.map((r) => tokens[r as Role]).filter((t): t is string => Boolean(t));
  return fc.constantFrom(...available);
}

interface Sent {
  operation: Operation;
  token: string | undefined;
  text?: string;
  contentType?: string;
  path?: string;
  query?: string;
  idempotencyKey?: string;
}

async function send({ operation, token, text, contentType = 'application/json', path, query = '', idempotencyKey }: Sent) {
  const req = fuzz[operation.method](`${path ?? pathOf(operation)}${query}`);
  if (token) req.set(bearer(token));
  if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
  const res = text === undefined ? await req : await req.set('Content-Type', contentType).send(text);
  tally.cases += 1;
  tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
  return res;
}

/** What every answer must be, whatever was sent. */
function expectWellFormed(res: request.Response, input: string) {
  expect(res.status).toBeLessThan(500);
  expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
  if (res.status < 400) return;
  const error = res.body?.error;
  expect(typeof error?.code).toBe('string');
  expect(typeof error?.message).toBe('string');
  const code: unknown = error.code;
  expect(isErrorCode(code) ? ERROR_STATUS[code] : code).toBe(res.status);
  // User input may be echoed (a field name); only judge answers to inputs that look innocent.
  if (!LEAK.test(input)) expect(res.text).not.toMatch(LEAK);
}

/** The idempotency scopes of the fuzzer's principals (role, seller, account). */
function principalKeys(): string[] {
  return [
    principalKey({ role: 'seller', sellerId: market.sellerId, id: market.sellerId }),
    principalKey({ role: 'sub_account', sellerId: market.sellerId, id: subId }),
    principalKey({ role: 'buyer', sellerId: null, id: market.buyerId }),
    principalKey({ role: 'system', sellerId: null, id: 'trade-system' }),
  ];
}

async function snapshot() {
  const em = stack.orm.em.fork();
  const account = await stack.http.get('/v1/payout-account').set(bearer(market.seller)).expect(200);
  const order = await em.findOneOrFail(Order, { orderId });
  const payout = await em.findOneOrFail(Payout, { id: payoutId });
  const sub = await em.findOneOrFail(SubAccount, { subAccountId: subId });
  return {
    account: account.body,
    payouts: await em.count(Payout, { sellerId: market.sellerId }),
    ledgerEntries: await em.count(LedgerEntry, { sellerId: market.sellerId }),
    orders: await em.count(Order, { sellerId: market.sellerId }),
    idempotencyRecords: await em.count(IdempotencyRecord, { principal: { $in: principalKeys() } }),
    order: { ...order, updatedAt: order.updatedAt.toISOString() },
    payout: { status: payout.status, amountFen: payout.amountFen },
    subCanPayout: sub.canPayout,
    cardsRead: await em.count(Notification, { recipientId: { $in: [market.sellerId, market.buyerId] }, readAt: { $ne: null } }),
  };
}

beforeAll(async () => {
  stack = await startStack();
  market = await openMarket(stack, { reserveFen: 10_000 });
  orderId = await market.order();
  payoutId = (await market.createPayout({ orderId: await market.order(), amount: 1_000 }).expect(201)).body.id;
  notificationId = (await eventually(() => stack.orm.em.fork().findOne(Notification, { recipientId: market.buyerId, payoutId }))).id!;
  subId = uniqueId('sub');
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
  tokens = {
    seller: market.seller,
    buyer: market.buyer,
    system: market.system,
    auditor: market.auditor,
    sub_account: await stack.token(subId, 'sub_account', market.sellerId),
  };
  // Its own app on the same stack, so that thousands of writes from one principal are not rate
  // limited; listening once, because supertest would otherwise open a server per request.
  const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client, rateLimit: { burst: 1e9, refillPerSecond: 1e9 } });
  server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fuzz = conformingRequest(server);
  before = await snapshot();
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await stack.stop();
});

const idempotencyKey = fc.option(fc.stringMatching(/^[\x21-\x7E]{1,128}$/), { nil: undefined });
const fuzzOptions = (numRuns: number) => ({ numRuns, seed: SEED, endOnFailure: true });

describe('the generators (no HTTP)', () => {
  test.each(writes.filter((o) => o.validateBody).map((o) => [o.operationId, o] as const))('%s: the base body is valid and every mutation is invalid', (_id, operation) => {
    expect(operation.validateBody!(validExample(bodySchemaOf(operation)!))).toBe(true);
    fc.assert(fc.property(mutatedBodies(operation), (body) => !operation.validateBody!(JSON.parse(JSON.stringify(body)))), { numRuns: 300, seed: SEED });
  });
});

describe('fuzzing', () => {
  test(`arbitrary JSON bodies to every write operation (${RUNS.arbitraryBodies} runs)`, async () => {
    const anyBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'amount', 'orderId', 'payout', 'limits')), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    );
    const cases = fc.constantFrom(...idsOf(writes)).chain((id) => fc.record({ id: fc.constant(id), token: callersOf(byId(id)), body: anyBody, idempotencyKey }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ id, token, body, idempotencyKey: key }) => {
        const operation = byId(id);
        const text = JSON.stringify(body);
        if (acceptsBody(operation, JSON.parse(text))) {
          tally.skippedValidByChance += 1;
          return;
        }
        const res = await send({ operation, token, text, idempotencyKey: key });
        expectWellFormed(res, text);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      fuzzOptions(RUNS.arbitraryBodies),
    );
  });

  test(`mutated valid bodies to every write operation with a body (${RUNS.mutatedBodies} runs)`, async () => {
    const cases = fc
      .constantFrom(...idsOf(writes.filter((o) => o.validateBody)))
      .chain((id) => fc.record({ id: fc.constant(id), token: callersOf(byId(id)), body: mutatedBodies(byId(id)), idempotencyKey }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ id, token, body, idempotencyKey: key }) => {
        const operation = byId(id);
        const text = JSON.stringify(body);
        const res = await send({ operation, token, text, idempotencyKey: key });
        expectWellFormed(res, text);
        if (Buffer.byteLength(text) > 16 * 1024) {
          expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
        } else {
          expect([res.status, res.body.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
          expect(res.body.error.field).toMatch(/^body/);
        }
      }),
      fuzzOptions(RUNS.mutatedBodies),
    );
  });

  test(`raw text and other content types (${RUNS.rawText} runs)`, async () => {
    const snippets = fc.constantFrom('{', '{"amount":', '[1,2', '{"a":1}}', 'null', 'true', '"x"', '1e400', '{"amount":1e400}', '{"amount":-1e400}', '{"amount":9007199254740993}', '{"amount":"1"}', '\u0000', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}');
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json; charset=latin1');
    // Operations without a body ignore a body they do not parse, so only those with one are sent other types.
    const cases = fc.record({
      id: fc.constantFrom(...idsOf(writes.filter((o) => o.validateBody))),
      text: fc.oneof(snippets, fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constant('amount=1&orderId=x')),
      contentType,
    }).chain((c) => callersOf(byId(c.id)).map((token) => ({ ...c, token })));
    await fc.assert(
      fc.asyncProperty(cases, async ({ id, token, text, contentType: type }) => {
        const operation = byId(id);
        if (type.startsWith('application/json')) {
          try {
            if (acceptsBody(operation, JSON.parse(text))) return void (tally.skippedValidByChance += 1);
          } catch {
            // Not JSON at all: exactly what is being fuzzed.
          }
        }
        const res = await send({ operation, token, text, contentType: type });
        expectWellFormed(res, text);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      fuzzOptions(RUNS.rawText),
    );
  });

  test(`path and query values on every read operation (${RUNS.pathsAndQueries} runs)`, async () => {
    const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.constantFrom('', ' ', '0', '-1', '1.5', '101', 'null', '../../etc/passwd', "' or 1=1 --", '%00', 'PAID', 'AWAITING_CONFIRMATION', '2024-13-40T25:61:00Z', 'MjAyNHwx'));
    const cases = fc.constantFrom(...idsOf(reads)).chain((id) => {
      const operation = byId(id);
      const declared = Object.keys(((operation.validateQuery?.schema as Schema | undefined)?.properties ?? {}) as object);
      const unknown = fc.string({ minLength: 1, maxLength: 12 });
      const key = declared.length ? fc.oneof({ arbitrary: fc.constantFrom(...declared), weight: 4 }, { arbitrary: unknown, weight: 1 }) : unknown;
      return fc.record({
        id: fc.constant(id),
        token: callersOf(operation),
        pathValue: fc.option(value.filter((v) => v.length > 0), { nil: undefined }),
        query: fc.dictionary(key, value, { maxKeys: 3 }),
      });
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ id, token, pathValue, query }) => {
        const operation = byId(id);
        const params = Object.fromEntries((operation.path.match(/\{([^}]+)\}/g) ?? []).map((p) => [p.slice(1, -1), pathValue ?? '']).filter(([, v]) => v));
        const search = new URLSearchParams(query).toString();
        const res = await send({ operation, token, path: pathOf(operation, params), query: search ? `?${search}` : '' });
        expectWellFormed(res, `${JSON.stringify(query)}${pathValue ?? ''}`);
        expect([200, 400, 404]).toContain(res.status);
      }),
      fuzzOptions(RUNS.pathsAndQueries),
    );
  });

  test(`ill-formed Unicode in every string field of every body (${RUNS.illFormedBodies} runs)`, async () => {
    const withStrings = writes.filter((o) => o.validateBody && stringFields(bodySchemaOf(o)!).length > 0);
    const cases = fc.constantFrom(...idsOf(withStrings)).chain((id) => {
      const operation = byId(id);
      return fc.record({ id: fc.constant(id), token: callersOf(operation), path: fc.constantFrom(...stringFields(bodySchemaOf(operation)!)), text: illFormedText, idempotencyKey });
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ id, token, path, text, idempotencyKey: key }) => {
        const operation = byId(id);
        const isItem = path[path.length - 1] === '0';
        const body = withValueAt(validExample(bodySchemaOf(operation)!), isItem ? path.slice(0, -1) : path, isItem ? [text] : text);
        const res = await send({ operation, token, text: JSON.stringify(body), idempotencyKey: key });
        expectWellFormed(res, text);
        expect([res.status, res.body.error?.code, res.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', `body.${path.join('.')}`]);
      }),
      fuzzOptions(RUNS.illFormedBodies),
    );
  });

  test('ill-formed Unicode in a key, in every path parameter and in every query parameter', async () => {
    for (const operation of writes.filter((o) => o.validateBody)) {
      const [token] = operation.roles.map((r) => tokens[r as Role]).filter(Boolean);
      const res = await send({ operation, token, text: '{"x\\ud800":1,"\\udfff":2}' });
      expect([operation.operationId, res.status, res.body.error?.code]).toEqual([operation.operationId, 400, 'VALIDATION_ERROR']);
    }
    for (const operation of operations) {
      const token = operation.roles.includes('anyone') ? undefined : operation.roles.map((r) => tokens[r as Role]).find(Boolean);
      const names = (operation.path.match(/\{([^}]+)\}/g) ?? []).map((p) => p.slice(1, -1));
      const queryNames = Object.keys(((operation.validateQuery?.schema as Schema | undefined)?.properties ?? {}) as object);
      for (const escape of ILL_FORMED_ESCAPES) {
        if (names.length > 0) {
          const path = operation.path.replace(/\{([^}]+)\}/g, `x${escape}`);
          const res = await send({ operation, token, path });
          expect([path, res.status, res.body.error?.code, res.body.error?.field]).toEqual([path, 400, 'VALIDATION_ERROR', 'path']);
        }
        for (const name of queryNames) {
          const res = await send({ operation, token, query: `?${name}=v${escape}` });
          expect([operation.operationId, name, res.status, res.body.error?.field]).toEqual([operation.operationId, name, 400, `query.${name}`]);
        }
      }
    }
  });

  test(`afterwards nothing moved, and at least ${CASES_MIN} cases ran`, async () => {
    expect(await snapshot()).toEqual(before);
    console.log(`fuzz: ${tally.cases} requests, ${tally.skippedValidByChance} valid-by-chance bodies skipped, statuses ${JSON.stringify(tally.statuses)}`);
    expect(tally.cases).toBeGreaterThanOrEqual(CASES_MIN);
    expect(tally.statuses[500] ?? 0).toBe(0);
  });
});

describe('edges', () => {
  test('a body above 16 kB is 413 PAYLOAD_TOO_LARGE, authenticated or not; one just below is judged on its content', async () => {
    const big = { orderId, amount: 100, reason: 'OTHER', note: 'x'.repeat(17 * 1024) };
    for (const auth of [bearer(market.seller), {}]) {
      const res = await stack.http.post('/v1/payouts').set(auth).send(big);
      expect([res.status, res.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect(res.headers['x-request-id']).toBeTruthy();
    }
    const below = await stack.http.post('/v1/payouts').set(bearer(market.seller)).send({ ...big, note: 'x'.repeat(15 * 1024) });
    expect([below.status, below.body.error?.code, below.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', 'body.note']);
  });

  test('every answer carries x-request-id: echoed when well-formed, replaced when not', async () => {
    const answers = await Promise.all([
      stack.http.get('/healthz'),
      stack.http.get('/v1/payouts'),
      stack.http.get('/v1/no-such-route'),
      stack.http.delete('/v1/payouts').set(bearer(market.seller)),
      stack.http.get(`/v1/payouts/${randomUUID()}`).set(bearer(market.seller)),
      stack.http.post('/v1/payouts').set(bearer(market.seller)).set('Content-Type', 'application/json').send('{'),
    ]);
    for (const res of answers) expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    expect((await stack.http.get('/healthz').set('x-request-id', 'trace-42.a:b')).headers['x-request-id']).toBe('trace-42.a:b');
    for (const bad of ['a b', 'x'.repeat(65), '<script>']) {
      const res = await stack.http.get('/healthz').set('x-request-id', bad);
      expect(res.headers['x-request-id']).not.toBe(bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test('an unknown route and a wrong verb answer in the error shape, without a stack', async () => {
    const missing = await stack.http.get('/v1/nothing-here').set(bearer(market.seller));
    expect([missing.status, missing.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    expect(missing.text).not.toMatch(LEAK);
    const wrongVerb = await stack.http.delete('/v1/payouts').set(bearer(market.seller));
    expect(wrongVerb.status).toBeGreaterThanOrEqual(400);
    expect(wrongVerb.status).toBeLessThan(500);
    expect(wrongVerb.text).not.toMatch(LEAK);
  });

  test.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    'an unknown query parameter on %s is 400 VALIDATION_ERROR naming it',
    async (_name, operation) => {
      // An auditor names no seller, so a seller-side role is preferred where there is one.
      const role = operation.roles.find((r) => r !== 'auditor') ?? operation.roles[0];
      const token = role === 'anyone' ? undefined : tokens[role];
      const req = stack.http[operation.method](`${pathOf(operation)}?bogusParam=1`);
      const res = await (token ? req.set(bearer(token)) : req);
      expect([res.status, res.body.error?.code, res.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', 'query.bogusParam']);
      expect(res.text).not.toMatch(LEAK);
    },
  );

  // The body parser reads JSON only; api/app.ts refuses any other body rather than take it for none.
  test('a body that is not JSON is refused, also by an operation that takes no body', async () => {
    const other = await openMarket(stack, { reserveFen: 0 });
    const res = await stack.http.post('/v1/payout-account/disable').set(bearer(other.seller)).set('Content-Type', 'text/plain').send('garbage');
    expect([res.status, res.body.error?.code, res.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', 'body']);
  });

  test('crafted cursors and dates at the edges of the calendar are refused or answered, never 500', async () => {
    const cursor = (text: string) => Buffer.from(text).toString('base64url');
    const urls = [
      `/v1/payouts?cursor=${cursor('+275760-09-13T00:00:00.000Z|x')}`,
      `/v1/payouts?cursor=${cursor('-271821-04-20T00:00:00.000Z|x')}`,
      `/v1/payouts?cursor=${cursor('0000-01-01T00:00:00.000Z|x')}`,
      `/v1/payouts?cursor=${cursor('2024-01-01T00:00:00.000Z|' + 'z'.repeat(150))}`,
      `/v1/payouts?cursor=${cursor('1|2|3')}`,
      '/v1/payouts?createdFrom=0000-01-01T00:00:00Z&createdTo=9999-12-31T23:59:59Z',
      '/v1/payouts?createdFrom=2024-02-30T00:00:00Z',
      `/v1/payout-account/statement?cursor=${cursor('9007199254740993')}`,
      `/v1/payout-account/statement?cursor=${cursor('-1')}`,
      `/v1/payout-account/statement?cursor=${cursor('1e308')}`,
    ];
    for (const url of urls) {
      const res = await stack.http.get(url).set(bearer(market.seller));
      expectWellFormed(res, url);
      expect([url, [200, 400].includes(res.status)]).toEqual([url, true]);
    }
    const notifications = await stack.http.get(`/v1/buyer/notifications?cursor=${cursor('0x10')}`).set(bearer(market.buyer));
    expectWellFormed(notifications, '');
  });
});
