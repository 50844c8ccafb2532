/**
 * `include` / `exclude` match properties (contrib internal/filter/filterconfig.MatchProperties),
 * used by the attributes processor and by the filter processor's legacy (non-OTTL) form.
 */
import { type Infer, z } from '../../../config/schema.js';
import { re2Problem } from '../../../internal/re2.js';

// The Collector decodes these with mapstructure, which matches keys case-insensitively: its own
// README writes `Key:`/`Value:`, so accept any case here too.
const lowerKeys = (v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k.toLowerCase(), x]))
    : v;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** `{key, value?}`: the attribute is present (and, with `value`, equal or matching). */
export const attributeMatchSchema = z.preprocess(lowerKeys, z.strictObject({ key: z.string().min(1), value: scalar.optional() }));

/** `{name, version?}` of the instrumentation scope. */
export const libraryMatchSchema = z.preprocess(lowerKeys, z.strictObject({ name: z.string(), version: z.string().optional() }));

/** Severity number: an integer 1-24 or a name such as "INFO", "warn2". */
export const severityNumberSchema = z.union([z.number().int().min(0).max(24), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = severityFromName(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown severity ${JSON.stringify(v)}; expected a name such as "INFO" or "WARN2"` });
    return z.NEVER;
  }
  return n;
});

const SEVERITY_BASE: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/** `INFO` → 9, `warn2` → 14, `UNSPECIFIED` → 0; undefined for anything else. */
export function severityFromName(name: string): number | undefined {
  const m = /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([234])?$/.exec(name.toUpperCase());
  if (name.toUpperCase() === 'UNSPECIFIED') return 0;
  if (!m) return undefined;
  return (SEVERITY_BASE[m[1] as string] as number) + (m[2] ? Number(m[2]) - 1 : 0);
}

/** The match properties. Within a list any item may match; all the lists given must match. */
export const matchPropertiesSchema = z
  .strictObject({
    match_type: z.enum(['strict', 'regexp']),
    /** Accepted for compatibility; Stitch compiles each pattern once and caches nothing per value. */
    regexp: z.strictObject({ cacheenabled: z.boolean().optional(), cachemaxnumentries: z.number().int().optional() }).optional(),
    services: z.array(z.string()).optional(),
    span_names: z.array(z.string()).optional(),
    span_kinds: z.array(z.string()).optional(),
    log_bodies: z.array(z.string()).optional(),
    log_severity_texts: z.array(z.string()).optional(),
    log_severity_number: z.strictObject({ min: severityNumberSchema, match_undefined: z.boolean().default(false) }).optional(),
    metric_names: z.array(z.string()).optional(),
    attributes: z.array(attributeMatchSchema).optional(),
    resources: z.array(attributeMatchSchema).optional(),
    libraries: z.array(libraryMatchSchema).optional(),
  })
  .superRefine((p, ctx) => checkPatterns(p, ctx));

/** The parsed match properties. */
export type MatchProperties = Infer<typeof matchPropertiesSchema>;

/**
 * With `match_type: regexp`, every pattern must compile (reported at its own path; `names` maps
 * a property to the option name the user wrote, for the filter processor's legacy spellings).
 */
export function checkPatterns(
  p: Omit<Partial<MatchProperties>, 'match_type'> & { match_type: string },
  ctx: z.RefinementCtx,
  names: Readonly<Record<string, string>> = {},
): void {
  if (p.match_type !== 'regexp') return;
  const check = (pattern: unknown, path: (string | number)[]) => {
    if (typeof pattern !== 'string') return;
    const bad = re2Problem(pattern);
    if (bad)
      ctx.addIssue({
        code: 'custom',
        message: bad,
        path: [names[path[0] as string] ?? path[0], ...path.slice(1)] as (string | number)[],
      });
  };
  for (const field of ['services', 'span_names', 'log_bodies', 'log_severity_texts', 'metric_names'] as const) {
    for (const [i, s] of (p[field] ?? []).entries()) check(s, [field, i]);
  }
  for (const field of ['attributes', 'resources'] as const) {
    for (const [i, a] of (p[field] ?? []).entries()) check(a.value, [field, i, 'value']);
  }
  for (const [i, l] of (p.libraries ?? []).entries()) {
    check(l.name, ['libraries', i, 'name']);
    check(l.version, ['libraries', i, 'version']);
  }
}
