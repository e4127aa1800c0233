/**
 * The code type-checks under the strict tsconfig (Jest's swc transform does not check types) and
 * passes ESLint, whose rules keep workflow code deterministic and promises awaited.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

async function passes(command: string, args: string[]): Promise<string> {
  try {
    await run(bin(command), args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return 'ok';
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`.slice(0, 4_000);
  }
}

test('tsc --noEmit passes', async () => {
  expect(await passes('tsc', ['--noEmit', '-p', '.'])).toBe('ok');
}, 180_000);

test('eslint passes', async () => {
  expect(await passes('eslint', ['.'])).toBe('ok');
}, 180_000);
