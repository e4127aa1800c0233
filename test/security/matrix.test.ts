/**
 * The authorisation table of openapi.yaml (`x-roles`), checked cell by cell against the live API:
 * every operation × every role and "no token", plus a sub-account without the payout permission
 * on every operation that lists `sub_account`.
 *
 * Ids in paths and bodies are fake but valid-looking, so an allowed call may well answer 404, 400,
 * 409 or 422: an allowed cell asserts only "neither 401 nor 403". Denied cells assert the exact
 * code. The table is generated from the document, so a new operation is covered as soon as it is
 * written down.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadOperations, OPENAPI_PATH, ROLES, type Operation, type Role } from '../../api/spec';
import { bearer } from '../support/scenario';
import { startStack, uniqueId, type Stack } from '../support/stack';

type Caller = Role | 'no token' | 'sub_account without permission';
type Expected = 'allowed' | '403 FORBIDDEN' | '401 UNAUTHENTICATED' | '200';

interface Cell {
  operation: Operation;
  caller: Caller;
  expected: Expected;
}

const operations = loadOperations();

function expectedFor(operation: Operation, caller: Caller): Expected {
  if (operation.roles.includes('anyone')) return '200';
  if (caller === 'no token') return '401 UNAUTHENTICATED';
  if (caller === 'sub_account without permission') return '403 FORBIDDEN';
  return operation.roles.includes(caller) ? 'allowed' : '403 FORBIDDEN';
}

const CALLERS: Caller[] = [...ROLES, 'no token'];
const cells: Cell[] = operations.flatMap((operation) => [
  ...CALLERS.map((caller) => ({ operation, caller, expected: expectedFor(operation, caller) })),
  ...(operation.roles.includes('sub_account') ? [{ operation, caller: 'sub_account without permission' as const, expected: '403 FORBIDDEN' as const }] : []),
]);
const subAccountOperations = operations.filter((o) => o.roles.includes('sub_account')).length;

// ---- Minimal valid examples from the schemas (cheap: required properties, lower bounds, first enum value).

type Schema = Record<string, unknown>;
const document = parse(readFileSync(OPENAPI_PATH, 'utf8')) as Schema;

function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const segments = ref.replace(/^(openapi)?#\//, '').split('/');
  return resolve(segments.reduce<Schema>((node, key) => node[key] as Schema, document));
}

function exampleOf(raw: Schema): unknown {
  const schema = resolve(raw);
  if (Array.isArray(schema.anyOf)) return exampleOf(schema.anyOf[0] as Schema);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s) => exampleOf(s as Schema)));
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.map((name) => [name, exampleOf(properties[name])]));
    }
    case 'array':
      return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, (_, i) => `${exampleOf(schema.items as Schema)}${i || ''}`);
    case 'integer':
    case 'number':
      return Number(schema.minimum ?? 1);
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      return `matrix-${randomUUID().slice(0, 8)}`;
    default:
      return {};
  }
}

function pathOf(operation: Operation): string {
  const properties = ((operation.validatePath?.schema as Schema | undefined)?.properties ?? {}) as Record<string, Schema>;
  return operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(exampleOf(properties[name]))));
}

function bodyOf(operation: Operation): object | undefined {
  const schema = operation.validateBody?.schema as Schema | undefined;
  return schema ? (exampleOf(schema) as object) : undefined;
}

// ---- The live API.

let stack: Stack;
const tokens = new Map<Caller, string>();

beforeAll(async () => {
  // A worker runs: once the seller's cell has enabled the account, a recharge and a withdrawal are
  // workflows, and without a worker they would answer 503 after their wait.
  stack = await startStack();
  const [sellerId, subId, idleSubId] = [uniqueId('seller'), uniqueId('sub'), uniqueId('sub')];
  tokens.set('seller', await stack.token(sellerId, 'seller'));
  tokens.set('sub_account', await stack.token(subId, 'sub_account', sellerId));
  tokens.set('sub_account without permission', await stack.token(idleSubId, 'sub_account', sellerId));
  for (const role of ['buyer', 'auditor', 'system'] as const) tokens.set(role, await stack.token(uniqueId(role), role));
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(tokens.get('seller')!)).send({ payout: true }).expect(200);
  // Known to the seller, but never granted: the record exists and says no.
  await stack.http.put(`/v1/sub-accounts/${idleSubId}/permissions`).set(bearer(tokens.get('seller')!)).send({ payout: false }).expect(200);
});
afterAll(() => stack.stop());

async function call(cell: Cell) {
  const { operation } = cell;
  const req = stack.http[operation.method](pathOf(operation));
  const token = tokens.get(cell.caller);
  if (token) req.set(bearer(token));
  const body = bodyOf(operation);
  return body === undefined ? req : req.send(body);
}

const observed: { cell: Cell; status: number }[] = [];

test.each(cells.map((cell) => [`${cell.operation.method.toUpperCase()} ${cell.operation.path} as ${cell.caller}`, cell.expected, cell] as const))(
  '%s → %s',
  async (_name, expected, cell) => {
    const res = await call(cell);
    observed.push({ cell, status: res.status });
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.status).toBeLessThan(500);
    switch (expected) {
      case '200':
        expect(res.status).toBe(200);
        break;
      case 'allowed':
        expect([401, 403]).not.toContain(res.status);
        break;
      case '401 UNAUTHENTICATED':
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
        break;
      case '403 FORBIDDEN':
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
        break;
    }
  },
);

test(`the matrix has ${cells.length} cells: ${operations.length} operations × ${CALLERS.length} callers + ${subAccountOperations} sub-account-without-permission cells`, () => {
  expect(cells.length).toBe(operations.length * CALLERS.length + subAccountOperations);
  expect(observed).toHaveLength(cells.length);
  // Every operation is callable by someone, and every role is allowed somewhere and refused somewhere.
  for (const operation of operations) expect(operation.roles.length).toBeGreaterThan(0);
  for (const role of ROLES) {
    expect(cells.some((c) => c.caller === role && c.expected === 'allowed')).toBe(true);
    expect(cells.some((c) => c.caller === role && c.expected === '403 FORBIDDEN')).toBe(true);
  }
});
