/**
 * Options merged over their defaults. A key given as `undefined` keeps its default, as if it were
 * absent: configuration read from an unset environment variable arrives that way.
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...defaults, ...given };
}
