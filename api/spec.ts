/**
 * openapi.yaml, loaded once: the list of operations (path, verb, roles) and, for each, validators
 * of its body and parameters compiled with ajv from the very same schemas. Requests are checked
 * against these before a handler runs; the handlers' types come from the same file through
 * openapi-typescript (api/generated/openapi.ts).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { operations } from './generated/openapi';

export type OperationId = keyof operations;
export const ROLES = ['seller', 'sub_account', 'buyer', 'auditor', 'system'] as const;
export type Role = (typeof ROLES)[number];

export interface Operation {
  operationId: OperationId;
  method: 'get' | 'post' | 'put' | 'delete';
  /** The OpenAPI path template, e.g. `/v1/payouts/{id}`. */
  path: string;
  /** `x-roles`: who may call it; `anyone` means no authentication. */
  roles: readonly (Role | 'anyone')[];
  /** The operation's `security` lists the `session` scheme: a session cookie may stand in for the bearer token. */
  acceptsSessionCookie: boolean;
  validateBody?: ValidateFunction;
  validatePath?: ValidateFunction;
  validateQuery?: ValidateFunction;
}

interface OperationObject {
  operationId: OperationId;
  parameters?: unknown[];
  requestBody?: { content?: { 'application/json'?: { schema?: object } } };
  'x-roles'?: (Role | 'anyone')[];
  security?: Record<string, unknown>[];
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<Operation['method'], OperationObject>>>;
  components: object;
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: object;
}

export const OPENAPI_PATH = path.join(__dirname, '..', 'openapi.yaml');

function resolveRef<T>(doc: Record<string, unknown>, value: T | { $ref: string }): T {
  if (value && typeof value === 'object' && '$ref' in value) {
    const segments = value.$ref.replace(/^#\//, '').split('/');
    return segments.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], doc) as T;
  }
  return value as T;
}

function paramSchema(params: ParameterObject[], where: 'path' | 'query'): object | undefined {
  const selected = params.filter((p) => p.in === where);
  if (where === 'path' && selected.length === 0) return undefined;
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(selected.map((p) => [p.name, p.schema])),
    required: selected.filter((p) => p.required).map((p) => p.name),
  };
}

/** Loads the document and compiles every operation's validators. */
export function loadOperations(file = OPENAPI_PATH): Operation[] {
  const doc = parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  // Bodies are checked exactly as written (no coercion); query and path values arrive as strings
  // and are coerced to the declared types.
  const strict = addFormats(new Ajv2020({ strict: false, strictNumbers: true, allErrors: false }));
  const coercing = addFormats(new Ajv2020({ strict: false, strictNumbers: true, allErrors: false, coerceTypes: true, useDefaults: true }));
  for (const ajv of [strict, coercing]) ajv.addSchema({ components: doc.components }, 'openapi');
  const compile = (ajv: typeof strict, schema: object | undefined) => (schema ? ajv.compile(rebase(schema)) : undefined);

  const operations: Operation[] = [];
  for (const [route, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []).map((p) => resolveRef<ParameterObject>(doc as unknown as Record<string, unknown>, p as ParameterObject));
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        operationId: op.operationId,
        method,
        path: route,
        roles: op['x-roles'] ?? [],
        acceptsSessionCookie: (op.security ?? []).some((scheme) => 'session' in scheme),
        validateBody: compile(strict, bodySchema),
        validatePath: compile(coercing, paramSchema(params, 'path')),
        validateQuery: compile(coercing, paramSchema(params, 'query')),
      });
    }
  }
  return operations;
}

/** Points local `#/components/...` references at the registered document. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/'));
}

/** The first validation error, named by the field it concerns. */
export function describeValidationError(errors: ErrorObject[] | null | undefined, where: string): { field: string; message: string } {
  const first = errors?.[0];
  if (!first) return { field: where, message: 'invalid' };
  const extra = first.keyword === 'additionalProperties' ? `/${(first.params as { additionalProperty: string }).additionalProperty}` : '';
  const required = first.keyword === 'required' ? `/${(first.params as { missingProperty: string }).missingProperty}` : '';
  const pointer = `${first.instancePath}${extra}${required}`.replace(/^\//, '').replace(/\//g, '.');
  return { field: pointer ? `${where}.${pointer}` : where, message: first.message ?? 'invalid' };
}
