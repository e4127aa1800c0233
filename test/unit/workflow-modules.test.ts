/**
 * The workflow bundle's modules of ours are preloaded (worker/worker.ts `bundleWorkflowsOf`):
 * evaluated once in the worker's reusable V8 context and shared by every workflow it runs. The SDK
 * freezes what they export, so shared objects cannot carry one workflow's state to the next; a
 * module-level `let` or `var`, or a class's static field, it cannot freeze. None may exist in a
 * module the bundle holds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** The bundle the run's workers load (global-setup.ts), made by `bundleWorkflows`. */
const bundle = () => readFileSync(process.env.WORKFLOW_BUNDLE_PATH!, 'utf8');

/** Our source files in the bundle: webpack names each module by its path from the project's root. */
function bundledSources(code: string): string[] {
  const ids = new Set([...code.matchAll(/^\/\*\*\*\/ "\.\/((?!node_modules\/)[^"]+\.ts)"$/gm)].map((match) => match[1]));
  return [...ids].sort();
}

/** Top-level declarations whose binding another workflow would see changed: `let`, `var`, static fields. */
function sharedState(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement) && !(statement.declarationList.flags & ts.NodeFlags.Const)) {
      found.push(`${file}: ${statement.getText(source).split('\n')[0]}`);
    }
    if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        if (ts.isPropertyDeclaration(member) && member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) {
          found.push(`${file}: static ${member.name.getText(source)}`);
        }
      }
    }
  }
  return found;
}

test('the bundle preloads the workflow modules before any workflow exists', () => {
  const code = bundle();
  const preload = code.slice(code.indexOf('exports.preloadModules = function preloadModules()'));
  expect(preload.slice(0, preload.indexOf('}'))).toContain('"./workflows/index.ts"');
});

test('no module the bundle holds keeps state of its own at module level', () => {
  const sources = bundledSources(bundle());
  expect(sources).toEqual(expect.arrayContaining(['workflows/index.ts', 'workflows/payout/index.ts', 'domain/payout.ts']));
  expect(sources.flatMap(sharedState)).toEqual([]);
});
