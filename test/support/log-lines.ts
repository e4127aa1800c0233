import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import type { LogLevel } from '../../logger';

/** A pino logger at `level` whose lines are kept, parsed, in `lines`: for tests of what is logged. */
export function loggedLines(level: LogLevel): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}
