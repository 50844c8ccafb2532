/**
 * Options of the `loki` exporter: the Collector contrib lokiexporter's (confighttp client options,
 * `sending_queue`, `retry_on_failure`, `default_labels_enabled`) plus Stitch's label, encoding
 * and size options. Checks that need the whole config (label cap, correlation IDs) run in
 * superRefine so every problem is reported with its path.
 */
import { authSchema, duration, headers, httpUrl, tlsClientSchema, z } from '../../config/schema.js';
import { exporterHelperFields } from '../../exporterhelper/config.js';
import { correlationIdOf, LABEL_NAME_RE, LOKI_MAX_LABEL_NAMES, LOKI_MAX_LINE_SIZE, normalizeLabelName } from './labels.js';

/** Attribute → label name; a list means "each attribute under its normalised name". */
const labelMapSchema = z
  .union([z.array(z.string().min(1)), z.record(z.string().min(1), z.string())])
  .default({})
  .transform((v): Record<string, string> => {
    const entries = Array.isArray(v) ? v.map((k) => [k, ''] as const) : Object.entries(v);
    return Object.fromEntries(entries.map(([attr, label]) => [attr, label === '' ? normalizeLabelName(attr) : label]));
  });

/** `labels`: which attributes become stream labels besides Loki's defaults. */
const labelsSchema = z
  .strictObject({
    /** Resource attributes to promote, e.g. `{ k8s.node.name: "" }` or `[k8s.node.name]`. */
    resource: labelMapSchema,
    /** Log record attributes to promote (Loki's native OTLP promotes none by default). */
    attributes: labelMapSchema,
    /** Drop Loki's default list of indexed resource attributes and use only `resource`. */
    ignore_defaults: z.boolean().default(false),
  })
  .prefault({});

/** contrib's `default_labels_enabled`: the four labels the contrib exporter could add. */
const defaultLabelsSchema = z
  .strictObject({
    /** `exporter="OTLP"`. */
    exporter: z.boolean().default(false),
    /** `job="<service.namespace>/<service.name>"`. */
    job: z.boolean().default(false),
    /** `instance="<service.instance.id>"`. */
    instance: z.boolean().default(false),
    /** `level="<severity>"`. */
    level: z.boolean().default(false),
  })
  .prefault({});

/** Reasons surfaced in `superRefine`; exported for the tests' table. */
export const LOKI_CONFIG_RULES = {
  correlationId: 'is a correlation ID',
  labelCap: 'max_label_names',
  invalidName: 'not a valid Loki label name',
  duplicate: 'promoted twice',
  tenant: 'tenant_id',
} as const;

/** The strict schema of `exporters.loki[/name]`. */
export const lokiConfigSchema = z
  .strictObject({
    /** Loki's push URL, `http://loki:3100/loki/api/v1/push`. */
    endpoint: httpUrl,
    headers,
    /** Sent as `X-Scope-OrgID` (multi-tenant Loki); `loki.tenant` hints override it per resource. */
    tenant_id: z.string().min(1).optional(),
    ...exporterHelperFields,
    /** The contrib exporter's default (it relies on the HTTP client timeout). */
    timeout: duration('30s'),
    tls: tlsClientSchema,
    auth: authSchema.optional(),
    /** Body encoding: Loki's protobuf with block snappy, or Loki's JSON push format. */
    encoding: z.enum(['protobuf', 'json']).default('protobuf'),
    /** Content-Encoding on top of the encoding (protobuf is always snappy inside). */
    compression: z.enum(['', 'none', 'gzip']).default(''),
    /** How a map body is written as the line; `loki.format` hints override it. */
    format: z.enum(['json', 'logfmt', 'raw']).default('json'),
    labels: labelsSchema,
    default_labels_enabled: defaultLabelsSchema,
    /** Loki's `max_label_names_per_series`: surplus labels move to structured metadata. */
    max_label_names: z.number().int().min(1).default(LOKI_MAX_LABEL_NAMES),
    /** Upper bound of one push request (uncompressed lines + labels + metadata). */
    max_batch_size_bytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** Lines longer than this are truncated (Loki's `max_line_size`); 0 turns truncation off. */
    max_line_size_bytes: z.number().int().min(0).default(LOKI_MAX_LINE_SIZE),
    /** Accepted for contrib configs; Node's HTTP client sizes its own buffers. */
    read_buffer_size: z.number().int().min(0).optional(),
    write_buffer_size: z.number().int().min(0).optional(),
  })
  .superRefine((c, ctx) => {
    const targets = new Map<string, string>();
    for (const [section, map] of [
      ['resource', c.labels.resource],
      ['attributes', c.labels.attributes],
    ] as const) {
      for (const [attr, label] of Object.entries(map)) {
        const path = ['labels', section, attr];
        const id = correlationIdOf(attr) ?? correlationIdOf(label);
        if (id !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${JSON.stringify(attr)} ${LOKI_CONFIG_RULES.correlationId} (${id}): correlation IDs never become Loki stream labels (one stream per request would exhaust Loki's index); they are sent as structured metadata`,
          });
        }
        if (!LABEL_NAME_RE.test(label) || label.startsWith('__')) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `label ${JSON.stringify(label)} is ${LOKI_CONFIG_RULES.invalidName} (must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and not start with "__")`,
          });
        }
        const previous = targets.get(label);
        if (previous !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `label ${JSON.stringify(label)} is ${LOKI_CONFIG_RULES.duplicate} (also from ${previous})`,
          });
        }
        targets.set(label, `labels.${section}.${attr}`);
      }
    }
    const defaults = Object.entries(c.default_labels_enabled)
      .filter(([, on]) => on)
      .map(([name]) => name);
    const promoted = [...targets.keys(), ...defaults.filter((d) => !targets.has(d))];
    if (promoted.length > c.max_label_names) {
      ctx.addIssue({
        code: 'custom',
        path: ['labels'],
        message: `promotes ${promoted.length} labels (${promoted.join(', ')}) but ${LOKI_CONFIG_RULES.labelCap} is ${c.max_label_names}: Loki rejects streams with more labels than its max_label_names_per_series (default 15); promote fewer or raise max_label_names to match your Loki`,
      });
    }
    const headerTenant = Object.entries(c.headers).find(([k]) => k.toLowerCase() === 'x-scope-orgid')?.[1];
    if (c.tenant_id !== undefined && headerTenant !== undefined && headerTenant !== c.tenant_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenant_id'],
        message: `${LOKI_CONFIG_RULES.tenant} ${JSON.stringify(c.tenant_id)} contradicts headers.X-Scope-OrgID ${JSON.stringify(headerTenant)}; set one`,
      });
    }
    if (c.encoding === 'protobuf' && c.compression === 'gzip') {
      // Loki accepts it, but snappy already compressed the body: gzip only burns CPU.
      ctx.addIssue({
        code: 'custom',
        path: ['compression'],
        message: 'gzip applies to encoding "json"; the protobuf encoding is already snappy-compressed',
      });
    }
  });

/** The parsed config (durations in ms, label maps resolved to label names). */
export type LokiConfig = z.output<typeof lokiConfigSchema>;
