/**
 * Deep freezing of the validated config (after fastify's initial-config-validation): nothing that
 * reads it can change it. Maps and Sets are made read-only in place, since Object.freeze does not
 * stop their mutators.
 */

function refuse(): never {
  throw new TypeError('the configuration is frozen');
}

/**
 * Freezes `value` and everything reachable from it, except objects in `skip` (shared things such
 * as factories, which are not ours to freeze). Returns `value`.
 */
export function deepFreeze<T>(value: T, skip: ReadonlySet<unknown> = new Set()): T {
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v) || skip.has(v)) return;
    seen.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
      for (const m of ['set', 'delete', 'clear']) Object.defineProperty(v, m, { value: refuse });
    } else if (v instanceof Set) {
      for (const x of v) visit(x);
      for (const m of ['add', 'delete', 'clear']) Object.defineProperty(v, m, { value: refuse });
    }
    for (const key of Reflect.ownKeys(v)) {
      const desc = Object.getOwnPropertyDescriptor(v, key);
      if (desc && 'value' in desc) visit(desc.value);
    }
    Object.freeze(v);
  };
  visit(value);
  return value;
}
