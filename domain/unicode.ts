/**
 * Well-formed Unicode. JSON may carry a lone UTF-16 surrogate (`"x\ud800y"` is valid JSON), which is
 * no character at all: MariaDB's JSON check refuses it and a UTF-8 column cannot hold it. The API
 * refuses such strings at the edge; what is stored afterwards (idempotency responses, cards) is
 * passed through `wellFormed` as well, so that storing can never fail on data a request was
 * allowed to send. Pure, so that workflows may use it too.
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A JSON value of a 16 kB body holds fewer values than bytes; the walk stops at this many nodes
 * (values and keys), far above that, so that it is bounded even if given something larger.
 */
export const JSON_NODES_MAX = 100_000;

export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * The path (`a.b.0`) of the first string or key holding a lone surrogate, or null when every string
 * is well-formed. Iterative, so that a deeply nested body cannot exhaust the stack.
 */
export function illFormedPath(value: unknown): string | null {
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  for (let visited = 0; pending.length > 0 && visited < JSON_NODES_MAX; visited += 1) {
    const node = pending.pop()!;
    if (typeof node.value === 'string') {
      if (!isWellFormed(node.value)) return node.path.join('.');
    } else if (node.value !== null && typeof node.value === 'object') {
      for (const [key, child] of Object.entries(node.value)) {
        const path = [...node.path, key];
        if (!isWellFormed(key)) return path.join('.');
        pending.push({ value: child, path });
      }
    }
  }
  return null;
}

/**
 * A copy of a JSON value with every lone surrogate, in strings and keys, replaced by U+FFFD (as a
 * UTF-8 encoder would). JSON.stringify writes a lone surrogate as the escape `\udXXX` and a paired
 * one as the character itself, so the escapes (not preceded by an escaping backslash) are exactly
 * the lone ones.
 */
export function wellFormed<T>(value: T): T {
  const text = JSON.stringify(value);
  if (text === undefined) return value;
  return JSON.parse(text.replace(ESCAPED_LONE_SURROGATE, '$1\\ufffd')) as T;
}

const ESCAPED_LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;
