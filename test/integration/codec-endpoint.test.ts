/**
 * The codec endpoint as the Temporal UI calls it (SPEC §7): Temporal's remote codec protocol, CORS
 * with credentials for the UI's origin only, and both of the UI's ways to authenticate: the session
 * cookie of a sign-in, or a bearer token (where a deployment's UI passes its access token).
 */
import request from 'supertest';
import { buildApi } from '../../api/server';
import { temporalClient } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA_KEY } from '../../codec/payload-codec';
import { payloadKeyEnv } from '../support/payload-keys';
import { bearer } from '../support/scenario';
import { startStack, testEnv, uniqueId, type Stack } from '../support/stack';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const plain = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });
const valueOf = (payload: { data: string }) => JSON.parse(Buffer.from(payload.data, 'base64').toString());

let stack: Stack;
let auditor: string;
let seller: string;
beforeAll(async () => {
  stack = await startStack({ worker: 'none' });
  [auditor, seller] = await Promise.all([stack.token(uniqueId('auditor'), 'auditor'), stack.token(uniqueId('seller'), 'seller')]);
});
afterAll(() => stack.stop());

/** Signs in as a browser would and returns the cookie it would send back. */
async function signIn(token: string): Promise<string> {
  const res = await stack.http.post('/v1/session').set(bearer(token)).expect(200);
  const setCookie: string[] = res.headers['set-cookie'] as unknown as string[];
  expect(setCookie).toHaveLength(1);
  expect(setCookie[0]).toMatch(/^payouts_session=[^;]+; path=\/; expires=.+; samesite=strict; httponly$/);
  return setCookie[0].split(';')[0];
}

test('encodes with the encryption key and decodes back, in the protocol\'s shape', async () => {
  const encoded = await stack.http.post('/codec/encode').set(bearer(auditor)).send({ payloads: [plain({ note: '运费' }), plain(42)] }).expect(200);
  expect(encoded.body.payloads).toHaveLength(2);
  for (const payload of encoded.body.payloads) {
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(payload.metadata[KEY_ID_METADATA_KEY], 'base64').toString()).toBe('test-1');
  }
  const decoded = await stack.http.post('/codec/decode').set(bearer(auditor)).send(encoded.body).expect(200);
  expect(decoded.body.payloads.map(valueOf)).toEqual([{ note: '运费' }, 42]);
  // Not ours (not encrypted): back as it came.
  const untouched = await stack.http.post('/codec/decode').set(bearer(auditor)).send({ payloads: [plain('x'), { metadata: {} }] }).expect(200);
  // Go's remote codec (the temporal CLI's) sends an empty list as {}.
  expect((await stack.http.post('/codec/decode').set(bearer(auditor)).send({}).expect(200)).body).toEqual({ payloads: [] });
  expect((await stack.http.post('/codec/decode').set(bearer(auditor)).send({ payloads: [] }).expect(200)).body).toEqual({ payloads: [] });
  // No body at all is not an empty list.
  const empty = await stack.http.post('/codec/decode').set(bearer(auditor)).set('Content-Type', 'application/json').expect(400);
  expect(empty.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'body' });
  expect(untouched.body.payloads).toEqual([plain('x'), { metadata: {}, data: '' }]);
});

test('a payload under a key the service does not hold, or altered, is 400 naming it', async () => {
  const { body } = await stack.http.post('/codec/encode').set(bearer(auditor)).send({ payloads: [plain(1), plain(2)] }).expect(200);
  // A deployment that dropped key 1 too early.
  const config = loadConfig(testEnv('unused', '1h', payloadKeyEnv('test-2', ['test-2'])));
  const elsewhere = buildApi({ config, orm: stack.orm, temporal: temporalClient(stack.client.connection, config.temporalNamespace, config.payloadKeys) });
  const missing = await request(elsewhere.app.callback()).post('/codec/decode').set(bearer(auditor)).send(body).expect(400);
  expect(missing.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'body.payloads.0', message: 'payloads[0]: a payload is encrypted with key "test-1", which PAYLOAD_KEYS does not hold' });
  const altered = { ...body.payloads[1], data: b64('x'.repeat(40)) };
  const res = await stack.http.post('/codec/decode').set(bearer(auditor)).send({ payloads: [body.payloads[0], altered] }).expect(400);
  expect(res.body.error.field).toBe('body.payloads.1');
  await stack.http.post('/codec/decode').set(bearer(auditor)).send({ payloads: [{ metadata: { encoding: 'not base64!' } }] }).expect(400);
  await stack.http.post('/codec/decode').set(bearer(auditor)).send({ payloads: Array.from({ length: 501 }, () => plain(1)) }).expect(400);
});

test('the session cookie of an auditor\'s sign-in is accepted by the codec endpoint, and nowhere else', async () => {
  const cookie = await signIn(auditor);
  const res = await stack.http.post('/codec/decode').set('Cookie', cookie).set('Origin', UI_ORIGIN).send({ payloads: [plain(7)] }).expect(200);
  expect(res.body.payloads.map(valueOf)).toEqual([7]);
  expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  expect(res.headers['access-control-allow-credentials']).toBe('true');
  // Every other operation still wants the bearer token.
  await stack.http.get('/v1/payouts').set('Cookie', cookie).expect(401);
  await stack.http.get('/v1/reconciliations').set('Cookie', cookie).expect(401);
  // A seller may sign in (the console), but its cookie does not open the codec.
  const sellerCookie = await signIn(seller);
  expect((await stack.http.post('/codec/decode').set('Cookie', sellerCookie).send({ payloads: [] })).status).toBe(403);
  await stack.http.post('/codec/decode').send({ payloads: [] }).expect(401);
  await stack.http.post('/codec/decode').set('Cookie', 'payouts_session=forged.token.value').send({ payloads: [] }).expect(401);
  // The buyer has no console sign-in.
  await stack.http.post('/v1/session').set(bearer(await stack.token(uniqueId('buyer'), 'buyer'))).expect(403);
});

test('signing out clears the cookie', async () => {
  const res = await stack.http.delete('/v1/session').expect(200);
  expect(res.body).toEqual({ signedOut: true });
  expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^payouts_session=; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT; samesite=strict; httponly$/);
});

test('CORS: the UI\'s preflight is answered with credentials; another origin gets nothing', async () => {
  const preflight = await stack.http.options('/codec/decode')
    .set('Origin', UI_ORIGIN).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,x-namespace,authorization')
    .expect(204);
  expect(preflight.headers).toMatchObject({
    'access-control-allow-origin': UI_ORIGIN,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'POST,OPTIONS',
    'access-control-allow-headers': 'Content-Type,Authorization,Authorization-Extras,X-Namespace',
  });
  const stranger = await stack.http.options('/codec/decode').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
  expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  expect(stranger.status).toBe(405);
  const strangerPost = await stack.http.post('/codec/decode').set('Origin', 'https://evil.example').set(bearer(auditor)).send({ payloads: [plain(1)] }).expect(200);
  expect(strangerPost.headers['access-control-allow-origin']).toBeUndefined();
  // Only the codec paths answer CORS at all.
  const other = await stack.http.get('/healthz').set('Origin', UI_ORIGIN);
  expect(other.headers['access-control-allow-origin']).toBeUndefined();
});
