/**
 * Every response an integration test receives is checked against openapi.yaml: the schema the
 * document declares for that operation and status (or its `default`), compiled with ajv from the
 * same file the server validates requests with. A response the document does not describe fails
 * the request's promise, so the test that made it fails and names the operation and the field.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import request, { type Response } from 'supertest';
import { parse } from 'yaml';
import { OPENAPI_PATH } from '../../api/spec';

const METHODS = ['get', 'post', 'put', 'delete'] as const;
type Method = (typeof METHODS)[number];

interface Declared {
  /** The media type the document names, e.g. `application/json` or `text/csv`. */
  mediaType: string | undefined;
  validate: ValidateFunction | undefined;
}

interface OperationResponses {
  method: Method;
  pattern: RegExp;
  /** Path parameters in the template; static routes win over templated ones, as in the router. */
  params: number;
  label: string;
  byStatus: Map<string, Declared>;
}

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: object }>;
}

type Doc = { paths: Record<string, Partial<Record<Method, { operationId: string; responses: Record<string, ResponseObject> }>>>; components: Record<string, Record<string, ResponseObject>> };

let compiled: { operations: OperationResponses[]; errorResponse: Declared } | undefined;

function load() {
  if (compiled) return compiled;
  const doc = parse(readFileSync(OPENAPI_PATH, 'utf8')) as Doc;
  const ajv = addFormats(new Ajv2020({ strict: false, strictNumbers: true, allErrors: true }));
  ajv.addSchema({ components: doc.components }, 'openapi');
  const declare = (response: ResponseObject): Declared => {
    const resolved = response.$ref ? doc.components.responses[response.$ref.split('/').pop()!] : response;
    const [mediaType, media] = Object.entries(resolved.content ?? {})[0] ?? [];
    const schema = media?.schema ? JSON.parse(JSON.stringify(media.schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/')) : undefined;
    return { mediaType, validate: schema ? ajv.compile(schema) : undefined };
  };
  const operations: OperationResponses[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const byStatus = new Map(Object.entries(op.responses).map(([status, response]) => [status, declare(response)]));
      operations.push({ method, pattern, params: template.split('{').length - 1, label: `${method.toUpperCase()} ${template} (${op.operationId})`, byStatus });
    }
  }
  operations.sort((a, b) => a.params - b.params);
  compiled = { operations, errorResponse: declare({ $ref: '#/components/responses/Error' }) };
  return compiled;
}

/** Throws when the response is not what openapi.yaml declares for the request's operation and status. */
export function assertConforms(method: string, url: string, res: Response): void {
  const { operations, errorResponse } = load();
  const pathname = new URL(url, 'http://localhost').pathname;
  const operation = operations.find((op) => op.method === method.toLowerCase() && op.pattern.test(pathname));
  // A path or verb the document does not know answers the common error shape (404 or 405).
  const label = operation?.label ?? `${method.toUpperCase()} ${pathname} (no operation)`;
  const declared = operation ? (operation.byStatus.get(String(res.status)) ?? operation.byStatus.get('default')) : errorResponse;
  if (!declared) throw new Error(`${label}: status ${res.status} is not declared in openapi.yaml`);
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
  if (declared.mediaType && contentType !== declared.mediaType) {
    throw new Error(`${label}: status ${res.status} answered ${contentType || 'no content type'}, openapi.yaml declares ${declared.mediaType}`);
  }
  // A test that reads the raw bytes (a CSV export) leaves its JSON errors unparsed: parse them here.
  const body: unknown = Buffer.isBuffer(res.body) && contentType === 'application/json' ? JSON.parse(res.body.toString('utf8')) : res.body;
  if (declared.validate && declared.mediaType === 'application/json' && !declared.validate(body)) {
    const problems = (declared.validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`${label}: the ${res.status} body does not match openapi.yaml:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/**
 * supertest's `request(app)`, whose every request checks its response against openapi.yaml before
 * the test sees it.
 */
export function conformingRequest(app: Parameters<typeof request>[0] | Server): ReturnType<typeof request> {
  const agent = request(app);
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !(METHODS as readonly string[]).includes(property)) return value;
      return (url: string, ...rest: unknown[]) => {
        const test = (value as (url: string, ...rest: unknown[]) => request.Test).call(target, url, ...rest);
        return test.expect((res: Response) => assertConforms(property, url, res));
      };
    },
  });
}
