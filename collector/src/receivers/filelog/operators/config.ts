/**
 * Schemas of the operators Stitch supports in `filelog.operators`, with stanza's option names and
 * defaults. One discriminated union on `type`: an unsupported type is a config error that lists
 * the supported ones. Field expressions, layouts, severities and regexes are checked here so
 * `stitch validate` reports them, not the first log line.
 */
import { z } from '../../../config/schema.js';
import { compileRe2 } from '../../../internal/re2.js';
import { parseField } from './field.js';
import { compileSeverity, SEVERITY_PRESETS } from './severity.js';
import { compileTimeLayout } from './time-layout.js';

/** Parses a stanza byte size: an integer, or "1kb" (1000), "1KiB" (1024), "1mb", "1MiB", "1gib". */
export function parseByteSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$/i.exec(v);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase().replace(/b$/, '');
  const base = unit.endsWith('i') ? 1024 : 1000;
  const pow = { '': 0, k: 1, m: 2, g: 3, t: 4 }[unit.replace('i', '')];
  if (pow === undefined) return undefined;
  return Math.floor(Number(m[1]) * base ** pow);
}

/** A byte-size option with a default (in bytes). */
export function byteSize(defaultBytes: number) {
  return z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const n = parseByteSize(v);
      if (n === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a byte size such as 1024, "1kb", "1KiB" or "1MiB", got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return n;
    })
    .default(defaultBytes);
}

/** A field expression (`attributes.level`, `resource["k8s.pod.name"]`), checked at load. */
export const fieldSchema = z.string().superRefine((s, ctx) => {
  const f = parseField(s);
  if (typeof f === 'string') ctx.addIssue({ code: 'custom', message: f });
});

/** What a parser does with an entry it cannot parse (stanza `on_error`). */
export const onErrorSchema = z.enum(['send', 'send_quiet', 'drop', 'drop_quiet']).default('send');

const timestampSchema = z
  .strictObject({
    parse_from: fieldSchema,
    layout_type: z.enum(['strptime', 'gotime', 'epoch']).default('strptime'),
    layout: z.string().min(1),
    location: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    try {
      compileTimeLayout(t);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

const mappingValue = z.union([z.string(), z.number().int(), z.strictObject({ min: z.number().int(), max: z.number().int() })]);

const severitySchema = z
  .strictObject({
    parse_from: fieldSchema,
    preset: z.enum(SEVERITY_PRESETS).default('default'),
    mapping: z.record(z.string(), z.union([mappingValue, z.array(mappingValue)])).optional(),
    overwrite_text: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    try {
      compileSeverity(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, path: ['mapping'] });
    }
  });

const traceSchema = z.strictObject({
  trace_id: z.strictObject({ parse_from: fieldSchema.default('attributes.trace_id') }).prefault({}),
  span_id: z.strictObject({ parse_from: fieldSchema.default('attributes.span_id') }).prefault({}),
  trace_flags: z.strictObject({ parse_from: fieldSchema.default('attributes.trace_flags') }).prefault({}),
});

const base = {
  id: z.string().optional(),
  on_error: onErrorSchema,
};

/** Fields every stanza parser has (helper.ParserConfig). */
const parserFields = {
  ...base,
  parse_from: fieldSchema.default('body'),
  parse_to: fieldSchema.default('attributes'),
  body: fieldSchema.optional(),
  timestamp: timestampSchema.optional(),
  severity: severitySchema.optional(),
  trace: traceSchema.optional(),
  scope_name: z.strictObject({ parse_from: fieldSchema }).optional(),
};

const containerSchema = z.strictObject({
  type: z.literal('container'),
  ...base,
  /** `docker`, `crio` or `containerd`; detected per line when unset. */
  format: z.enum(['docker', 'crio', 'containerd']).optional(),
  add_metadata_from_filepath: z.boolean().default(true),
  /** Largest record partial lines are joined into; 0 means the receiver's `max_log_size`. */
  max_log_size: byteSize(0),
});

const jsonParserSchema = z.strictObject({ type: z.literal('json_parser'), ...parserFields });

const regexParserSchema = z
  .strictObject({ type: z.literal('regex_parser'), ...parserFields, regex: z.string().min(1) })
  .superRefine((c, ctx) => {
    try {
      const re = compileRe2(c.regex);
      if (!/\(\?<[A-Za-z_]/.test(re.source)) {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: 'regex must contain at least one named group (?P<name>...)' });
      }
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['regex'], message: `invalid regex: ${(err as Error).message}` });
    }
  });

const pinoParserSchema = z.strictObject({
  type: z.literal('pino_parser'),
  ...base,
  parse_from: fieldSchema.default('body'),
});

const moveSchema = z.strictObject({ type: z.literal('move'), ...base, from: fieldSchema, to: fieldSchema });
const removeSchema = z.strictObject({ type: z.literal('remove'), ...base, field: fieldSchema });
const addSchema = z
  .strictObject({ type: z.literal('add'), ...base, field: fieldSchema, value: z.unknown() })
  .superRefine((c, ctx) => {
    if (c.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'missing required option value' });
    if (typeof c.value === 'string' && /^EXPR\(/.test(c.value)) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: 'EXPR() expressions are not supported by Stitch; use a literal value',
      });
    }
  });

const OPERATOR_SCHEMAS = [
  containerSchema,
  jsonParserSchema,
  regexParserSchema,
  pinoParserSchema,
  moveSchema,
  removeSchema,
  addSchema,
] as const;

/** The operator types Stitch supports, sorted (for messages and docs). */
export const SUPPORTED_OPERATORS: readonly string[] = OPERATOR_SCHEMAS.map((s) => s.shape.type.value).sort();

/** One operator: a union discriminated on `type`. */
export const operatorSchema = z.discriminatedUnion('type', OPERATOR_SCHEMAS, {
  error: (iss) => {
    if (iss.code !== 'invalid_union') return undefined;
    const type = (iss.input as { type?: unknown } | undefined)?.type;
    return type === undefined
      ? `missing required option type; supported operator types: ${SUPPORTED_OPERATORS.join(', ')}`
      : `unsupported operator type ${JSON.stringify(type)}; supported: ${SUPPORTED_OPERATORS.join(', ')}`;
  },
});

/** A validated operator config. */
export type OperatorConfig = z.output<typeof operatorSchema>;
/** A `container` operator, parsed. */
export type ContainerConfig = z.output<typeof containerSchema>;
/** A `json_parser` operator, parsed. */
export type JsonParserConfig = z.output<typeof jsonParserSchema>;
/** A `regex_parser` operator, parsed. */
export type RegexParserConfig = z.output<typeof regexParserSchema>;
/** A `pino_parser` operator, parsed. */
export type PinoParserConfig = z.output<typeof pinoParserSchema>;
/** The fields common to json_parser and regex_parser. */
export type ParserFields = Omit<JsonParserConfig, 'type'>;
