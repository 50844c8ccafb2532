/**
 * The `actions` list shared by the `attributes` and `resource` processors, with the contrib
 * coreinternal/attraction option names and checks (one problem per broken action, at its path).
 */
import { type Infer, z } from '../../../config/schema.js';
import { captureGroupCount, compileRe2, namedGroups, re2Problem } from '../../../internal/re2.js';

/** The actions, in the Collector's spelling (it lower-cases what the user wrote, so do we). */
export const ACTIONS = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert'] as const;
/** What an action does. */
export type ActionName = (typeof ACTIONS)[number];

const anyValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

/** One entry of `actions`. */
export const actionSchema = z
  .strictObject({
    /** The attribute to act on (for `extract`, the source; it is left as is). */
    key: z.string().default(''),
    /** insert / update / upsert / delete / hash / extract / convert, any case. */
    action: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(ACTIONS)),
    /** A literal value (its YAML type is kept). */
    value: anyValue.optional(),
    /** Copy the value of another attribute of the same item. */
    from_attribute: z.string().optional(),
    /** `metadata.<header>` (receiver `include_metadata`), `client.address`, or a bare header name. */
    from_context: z.string().optional(),
    /** Fallback when the value source gives nothing (insert / update / upsert). */
    default_value: anyValue.optional(),
    /** delete / hash: act on every key matching; extract: the named groups to extract. */
    pattern: z.string().optional(),
    /** convert: the target type. */
    converted_type: z.enum(['int', 'double', 'string']).optional(),
  })
  .superRefine((a, ctx) => {
    const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    const sources = [a.value !== undefined, !!a.from_attribute, !!a.from_context].filter(Boolean).length;
    if (a.pattern !== undefined) {
      const bad = re2Problem(a.pattern);
      if (bad) issue(bad, 'pattern');
    }
    switch (a.action) {
      case 'delete':
      case 'hash':
        if (!a.key && !a.pattern) issue(`action "${a.action}" needs "key" and/or "pattern"`, 'key');
        if (a.value !== undefined || a.from_attribute)
          issue(
            `action "${a.action}" does not use "value" or "from_attribute"`,
            a.value !== undefined ? 'value' : 'from_attribute',
          );
        if (a.converted_type) issue(`action "${a.action}" does not use "converted_type"`, 'converted_type');
        break;
      case 'insert':
      case 'update':
      case 'upsert':
        if (!a.key) issue('"key" is required', 'key');
        if (sources === 0 && a.default_value === undefined)
          issue(`action "${a.action}" needs one of "value", "from_attribute", "from_context" or "default_value"`, 'value');
        if (sources > 1) issue('set only one of "value", "from_attribute" and "from_context"', 'value');
        if (a.pattern !== undefined) issue(`action "${a.action}" does not use "pattern"`, 'pattern');
        if (a.converted_type) issue(`action "${a.action}" does not use "converted_type"`, 'converted_type');
        break;
      case 'extract': {
        if (!a.key) issue('"key" is required', 'key');
        if (sources > 0) issue('action "extract" does not use a value source', 'value');
        if (a.converted_type) issue('action "extract" does not use "converted_type"', 'converted_type');
        if (a.pattern === undefined) {
          issue('action "extract" needs "pattern"', 'pattern');
          break;
        }
        if (re2Problem(a.pattern)) break;
        const re = compileRe2(a.pattern);
        const named = namedGroups(re).length;
        if (named === 0) issue('"pattern" contains no named matcher groups', 'pattern');
        else if (named !== captureGroupCount(re)) issue('"pattern" contains at least one unnamed matcher group', 'pattern');
        break;
      }
      case 'convert':
        if (!a.key) issue('"key" is required', 'key');
        if (sources > 0 || a.pattern !== undefined) issue('action "convert" does not use value sources or "pattern"', 'value');
        if (!a.converted_type) issue('action "convert" needs "converted_type" (int, double or string)', 'converted_type');
        break;
    }
  });

/** One parsed action. */
export type ActionConfig = Infer<typeof actionSchema>;

/** `actions:` — applied in order. */
export const actionsSchema = z.array(actionSchema);
