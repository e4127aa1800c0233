/** Parses the durations of SPEC §8b (`3d`, `5s`, `250ms`, `2h`, `30m`) into milliseconds. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) throw new Error(`not a duration: "${text}" (expected e.g. 3d, 12h, 30m, 5s, 500ms)`);
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`duration out of range: "${text}"`);
  return ms;
}
