/**
 * Loki label rules shared by the config check and the per-record mapping: name normalisation
 * (Loki's OTLP ingestion rule), the default index labels of Loki's native OTLP endpoint, the
 * correlation-ID guard, and rendering a label set as a stream selector.
 */
import { CORRELATION_ID_KEYS, canonicalIdKey } from '@stitch/correlation';

/**
 * The resource attributes Loki's native OTLP ingestion indexes as stream labels by default
 * (`distributor.otlp_config` default_resource_attributes_as_index_labels, Loki 3.x), in the order
 * Stitch keeps them when a stream would exceed `max_label_names`: the last ones move to structured
 * metadata first. `k8s.pod.name` and `service.instance.id` are last because Loki's docs no
 * longer recommend indexing them (high cardinality) but keep them in the default for
 * compatibility.
 */
export const LOKI_DEFAULT_INDEX_ATTRIBUTES: readonly string[] = [
  'service.name',
  'service.namespace',
  'deployment.environment',
  'k8s.cluster.name',
  'k8s.namespace.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
  'k8s.cronjob.name',
  'k8s.job.name',
  'k8s.container.name',
  'container.name',
  'k8s.replicaset.name',
  'cloud.region',
  'cloud.availability_zone',
  'k8s.pod.name',
  'service.instance.id',
];

/** Loki's default `max_label_names_per_series` (Loki 3.x). */
export const LOKI_MAX_LABEL_NAMES = 15;
/** Loki's default `max_label_value_length`. */
export const LOKI_MAX_LABEL_VALUE_LENGTH = 2048;
/** Loki's default `max_line_size` (256 KB). */
export const LOKI_MAX_LINE_SIZE = 256 * 1024;

/** A valid Loki label name (Prometheus' rule). */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const INVALID_CHARS = /[^a-zA-Z0-9_]/g;

/**
 * Turns an attribute name into a Loki label / structured-metadata name the way Loki's OTLP
 * ingestion does (prometheus otlptranslator.NormalizeLabel): every character outside
 * `[a-zA-Z0-9_]` becomes `_`, a leading digit gets a `key_` prefix, a single leading `_` a `key`
 * prefix. `k8s.pod.name` → `k8s_pod_name`.
 */
export function normalizeLabelName(name: string): string {
  if (name.length === 0) return name;
  let out = LABEL_NAME_RE.test(name) ? name : name.replace(INVALID_CHARS, '_');
  const c = out.charCodeAt(0);
  if (c >= 48 && c <= 57) out = `key_${out}`;
  else if (c === 95 && out.charCodeAt(1) !== 95) out = `key${out}`;
  return out;
}

/** A per-instance cache of normalised names: attribute keys repeat on every record. */
export class NameCache {
  private readonly names = new Map<string, string>();
  private readonly limit: number;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  /** The normalised form of `name`, cached (bounded: cleared when full). */
  get(name: string): string {
    let n = this.names.get(name);
    if (n === undefined) {
      n = normalizeLabelName(name);
      if (this.names.size >= this.limit) this.names.clear();
      this.names.set(name, n);
    }
    return n;
  }
}

const CORRELATION_NAMES: ReadonlySet<string> = new Set<string>(CORRELATION_ID_KEYS);

/**
 * The correlation ID an attribute or label name denotes (`request_id`, `x-request-id`,
 * `trace.id`…), or undefined. Correlation IDs never become stream labels (DESIGN.md).
 */
export function correlationIdOf(name: string): string | undefined {
  const canonical = canonicalIdKey(name);
  if (canonical !== undefined) return canonical;
  const normalized = normalizeLabelName(name);
  return CORRELATION_NAMES.has(normalized) ? normalized : canonicalIdKey(normalized);
}

/** A stream label: name and value. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/**
 * Renders labels as a Loki stream selector, `{a="b", c="d"}`, sorted by name, values quoted so
 * Loki's parser (Go strconv.Unquote rules) reads them back exactly. JSON string escaping is a
 * subset of Go's quoted-string syntax (`\"`, `\\`, `\n`, `\uXXXX`…); lone surrogates are made
 * well-formed first because Go rejects them.
 */
export function renderSelector(labels: readonly Label[]): string {
  const sorted = labels.length > 1 ? [...labels].sort(compareLabels) : labels;
  let out = '{';
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0) out += ', ';
    out += `${sorted[i].name}=${JSON.stringify(sorted[i].value.toWellFormed())}`;
  }
  return `${out}}`;
}

function compareLabels(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
