/**
 * Imported first by every entry point, before any heavy module loads: on a Node.js outside
 * package.json's `engines`, the SDKs and the ORM would fail later with errors that do not name
 * the cause. A side-effect import, because imports run before the body of the module that
 * imports them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import satisfies from 'semver/functions/satisfies';
import { exitOnStartupError, nodeUnsupported } from './errors';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { engines: { node: string } };

if (!satisfies(process.versions.node, manifest.engines.node)) {
  exitOnStartupError(nodeUnsupported(process.versions.node, manifest.engines.node));
}
