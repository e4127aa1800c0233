/**
 * openapi.yaml linted with Redocly's recommended rules (redocly.yaml decides each warning): the
 * document that /docs renders, the typed clients are generated from and the validators compile
 * must have no problem at all, so a new operation without a summary or with a broken example
 * fails the suite rather than the reader.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..', '..');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string; location: { pointer?: string }[] }[];
}

test('openapi.yaml passes the Redocly lint with no error and no undecided warning', async () => {
  const cli = require.resolve('@redocly/cli/bin/cli.js');
  // The CLI would otherwise send telemetry and look for updates; our machines reach no network.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', 'openapi.yaml', '--format=json'], { cwd: ROOT, env }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const report = JSON.parse(stdout) as LintReport;
  const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
  expect(problems).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
});
