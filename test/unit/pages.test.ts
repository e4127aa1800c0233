/** The pages' pure parts: yuan formatting and parsing without floats, order-number input, page routes, the dev sign-in's guard. */
import { formatYuan, parseYuan, yuanInput } from '../../web/src/shared/money';
import { parseOrderIds } from '../../web/src/console/orders-input';
import { pageRoute } from '../../api/pages';
import { DEVELOPMENT_JWT_SECRET } from '../../config';
import { devSignInRoutes } from '../../scripts/dev-sign-in';

test.each([
  [0, '¥0.00'], [1, '¥0.01'], [29, '¥0.29'], [4_500, '¥45.00'], [1_500, '¥15.00'], [100_000, '¥1,000.00'],
  [123_456_789, '¥1,234,567.89'], [-1_050, '-¥10.50'], [1.5, '—'], [Number.MAX_SAFE_INTEGER + 1, '—'],
])('formatYuan(%p) is %p', (fen, text) => {
  expect(formatYuan(fen)).toBe(text);
});

test.each([
  ['15', 1_500], ['15.5', 1_550], ['15.00', 1_500], ['0.29', 29], ['0.01', 1], ['¥1,000.00', 100_000], [' 45 ', 4_500],
  ['15.001', null], ['-1', null], ['1e3', null], ['', null], ['abc', null], ['.5', null], ['12345678901', null],
])('parseYuan(%p) is %p', (text, fen) => {
  expect(parseYuan(text)).toBe(fen);
});

test('yuanInput gives the plain text a field starts with', () => {
  expect(yuanInput(100_000)).toBe('1000.00');
});

test('order numbers are split on spaces and commas, bad ones named', () => {
  expect(parseOrderIds('A-1 B_2,C.3，D:4\nbad/5')).toEqual({ ids: ['A-1', 'B_2', 'C.3', 'D:4'], invalid: ['bad/5'] });
});

test.each([
  ['/console/', '/console/index.html'], ['/pay/', '/pay/index.html'], ['/pay/0b9f3c52-4d1e-4a57-9a43-2f6f7c1d8e10', '/pay/index.html'],
  ['/docs', '/docs/index.html'], ['/docs/swagger-ui/swagger-ui.css', '/swagger-ui.css'], ['/assets/console-abc.js', '/assets/console-abc.js'],
])('%s is served from %s', (pathname, file) => {
  expect(pageRoute(pathname)).toMatchObject({ file });
});

test.each(['/v1/payouts', '/pay/../etc', '/assets/../../openapi.yaml', '/docs/swagger-ui/../package.json', '/dev/'])('%s is not a page', (pathname) => {
  expect(pageRoute(pathname)).toBeUndefined();
});

test('the dev sign-in refuses to exist with any secret but the development one', () => {
  expect(() => devSignInRoutes({ jwtSecret: 'a-real-secret-0123456789abcdef0123', jwtSecretIsDevelopment: false })).toThrow(/development secret/);
  expect(() => devSignInRoutes({ jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDevelopment: false })).toThrow(/development secret/);
  expect(() => devSignInRoutes({ jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDevelopment: true })).not.toThrow();
});
