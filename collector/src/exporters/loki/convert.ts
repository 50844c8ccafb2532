/**
 * OTLP logs → Loki streams, the way Loki's own OTLP endpoint maps them (pkg/loghttp/push/otlp.go):
 * - stream labels: the resource attributes Loki indexes by default plus the configured / hinted
 *   ones, names normalised (`k8s.pod.name` → `k8s_pod_name`), capped at `max_label_names`;
 * - line: the body (a string as is, a map as JSON or logfmt);
 * - timestamp: `time_unix_nano`, else `observed_time_unix_nano`, else now;
 * - structured metadata: the record's attributes (flattened, same name rules), then
 *   `observed_timestamp`, `severity_number`, `severity_text`, `dropped_attributes_count`,
 *   `flags`, `trace_id`, `span_id` (and `level`), then the resource attributes that are not
 *   labels, then the scope's attributes, `scope_name` and `scope_version`.
 * Correlation IDs never become labels. Work per resource (labels, selector, shared metadata) is
 * done once; per record only the record's own fields are walked.
 */

import { nowNanos } from '../../model/time.js';
import type { AnyValue, Int64, KeyValue, LogRecord, LogsData, Resource } from '../../model/types.js';
import { anyValueToString, getStringAttribute, idToHex, int64ToString, isSet } from '../../model/values.js';
import type { LokiConfig } from './config.js';
import {
  correlationIdOf,
  type Label,
  LOKI_DEFAULT_INDEX_ATTRIBUTES,
  LOKI_MAX_LABEL_VALUE_LENGTH,
  NameCache,
  normalizeLabelName,
  renderSelector,
} from './labels.js';
import { bodyToLine, type LineFormat, truncateLine } from './line.js';

/** One structured-metadata pair. */
export interface MetadataPair {
  readonly name: string;
  readonly value: string;
}

/** One Loki entry. Its metadata is `meta` (the record's own) followed by `shared` (resource + scope). */
export interface LokiEntry {
  /** Seconds and nanoseconds of the timestamp, split exactly from the 64-bit nanoseconds. */
  readonly sec: number;
  readonly nanos: number;
  readonly line: string;
  readonly meta: MetadataPair[];
  readonly shared: readonly MetadataPair[];
  /** Estimated bytes on the wire before compression (line, metadata, framing). */
  readonly bytes: number;
}

/** One stream: its selector, labels and entries. */
export interface LokiStream {
  readonly selector: string;
  readonly labels: readonly Label[];
  readonly entries: LokiEntry[];
}

/** Streams of one tenant (`undefined`: no X-Scope-OrgID). */
export interface TenantStreams {
  readonly tenant: string | undefined;
  readonly streams: Map<string, LokiStream>;
}

/** Why a label became structured metadata instead. */
export type MovedReason = 'label_limit' | 'correlation_id' | 'value_too_long';

/** The result of mapping one batch. */
export interface ConvertedLogs {
  readonly tenants: Map<string, TenantStreams>;
  lines: number;
  /** Lines truncated to `max_line_size_bytes`. */
  truncated: number;
  /** Labels moved to structured metadata, counted once per log record they applied to. */
  readonly moved: Record<MovedReason, number>;
}

/** Maps batches of OTLP logs to Loki streams; built once per exporter from its config. */
export interface LogsMapper {
  convert(data: LogsData): ConvertedLogs;
}

const HINT_RESOURCE_LABELS = 'loki.resource.labels';
const HINT_ATTRIBUTE_LABELS = 'loki.attribute.labels';
const HINT_FORMAT = 'loki.format';
const HINT_TENANT = 'loki.tenant';

/** Ranks decide which labels stay when a stream has more than `max_label_names`: lowest first. */
const RANK_CONFIGURED = 0;
const RANK_HINT = 1000;
const RANK_DEFAULT = 2000;

interface Candidate {
  readonly name: string;
  readonly value: string;
  readonly rank: number;
}

/** What every record of one resource shares. */
interface ResourceContext {
  readonly candidates: Candidate[];
  readonly labels: Label[];
  readonly selector: string;
  /** Labels past the cap, now metadata: counted per record. */
  readonly cut: number;
  readonly meta: MetadataPair[];
  readonly format: LineFormat;
  readonly tenant: string | undefined;
  readonly attributes: readonly KeyValue[];
  moved: { correlation_id: number; value_too_long: number };
}

const UNKNOWN_SERVICE: Candidate = { name: 'service_name', value: 'unknown_service', rank: RANK_DEFAULT };

/** Builds the mapper for one exporter's config. */
export function createLogsMapper(config: LokiConfig): LogsMapper {
  const names = new NameCache();
  const resourceLabels = new Map(Object.entries(config.labels.resource));
  const attributeLabels = new Map(Object.entries(config.labels.attributes));
  const defaultIndex = new Map<string, number>(
    config.labels.ignore_defaults ? [] : LOKI_DEFAULT_INDEX_ATTRIBUTES.map((a, i) => [a, RANK_DEFAULT + i]),
  );
  const defaults = config.default_labels_enabled;
  const maxLabels = config.max_label_names;
  const maxLine = config.max_line_size_bytes;
  const hintCache = new Map<string, ReadonlySet<string>>();

  function hintSet(value: AnyValue | null | undefined): ReadonlySet<string> {
    const text = anyValueToString(value);
    let set = hintCache.get(text);
    if (set === undefined) {
      set = new Set(
        text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
      if (hintCache.size > 1000) hintCache.clear();
      hintCache.set(text, set);
    }
    return set;
  }

  function resourceContext(resource: Resource | null | undefined): ResourceContext {
    const attrs = resource?.attributes ?? [];
    let hinted: ReadonlySet<string> | undefined;
    let format: LineFormat = config.format;
    let tenant = config.tenant_id;
    for (const kv of attrs) {
      if (kv.key === HINT_RESOURCE_LABELS) hinted = hintSet(kv.value);
      else if (kv.key === HINT_FORMAT) format = lineFormat(anyValueToString(kv.value), format);
      else if (kv.key === HINT_TENANT) {
        const source = anyValueToString(kv.value);
        tenant = getStringAttribute(attrs, source) || tenant;
      }
    }
    const candidates: Candidate[] = [];
    const meta: MetadataPair[] = [];
    const moved = { correlation_id: 0, value_too_long: 0 };
    for (let i = 0; i < attrs.length; i++) {
      const kv = attrs[i];
      const key = kv.key;
      if (isHint(key)) continue;
      let label = resourceLabels.get(key);
      let rank = RANK_CONFIGURED + i;
      if (label === undefined && hinted?.has(key)) {
        label = names.get(key);
        rank = RANK_HINT + i;
      }
      if (label === undefined) {
        const r = defaultIndex.get(key);
        if (r !== undefined) {
          label = names.get(key);
          rank = r;
        }
      }
      if (label === undefined) {
        flattenInto(meta, names.get(key), kv.value);
        continue;
      }
      const c = promote(label, key, kv.value, rank, meta, moved);
      if (c) candidates.push(c);
    }
    if (defaults.exporter) candidates.push({ name: 'exporter', value: 'OTLP', rank: RANK_CONFIGURED });
    if (defaults.job) {
      const name = stringAttr(attrs, 'service.name');
      const ns = stringAttr(attrs, 'service.namespace');
      if (name) candidates.push({ name: 'job', value: ns ? `${ns}/${name}` : name, rank: RANK_CONFIGURED });
    }
    if (defaults.instance) {
      const instance = stringAttr(attrs, 'service.instance.id');
      if (instance) candidates.push({ name: 'instance', value: instance, rank: RANK_CONFIGURED });
    }
    const { labels, cut } = capLabels(candidates, meta);
    return {
      candidates,
      labels,
      selector: renderSelector(labels),
      cut,
      meta,
      format,
      tenant,
      attributes: attrs,
      moved,
    };
  }

  /** A label candidate, or undefined when the value goes to metadata instead (counted). */
  function promote(
    label: string,
    key: string,
    value: AnyValue | null | undefined,
    rank: number,
    meta: MetadataPair[],
    moved: { correlation_id: number; value_too_long: number },
  ): Candidate | undefined {
    if (correlationIdOf(key) !== undefined || correlationIdOf(label) !== undefined) {
      moved.correlation_id++;
      flattenInto(meta, names.get(key), value);
      return undefined;
    }
    const text = anyValueToString(value);
    if (text === '') return undefined; // Loki treats an empty value as "no label".
    if (text.length > LOKI_MAX_LABEL_VALUE_LENGTH) {
      moved.value_too_long++;
      meta.push({ name: label, value: text });
      return undefined;
    }
    return { name: label, value: text, rank };
  }

  /** Keeps the `maxLabels` best-ranked labels, moving the rest to `meta`. */
  function capLabels(candidates: Candidate[], meta: MetadataPair[]): { labels: Label[]; cut: number } {
    if (candidates.length === 0) return { labels: [UNKNOWN_SERVICE], cut: 0 };
    const sorted = [...candidates].sort((a, b) => a.rank - b.rank);
    const kept: Label[] = [];
    const seen = new Set<string>();
    let cut = 0;
    for (const c of sorted) {
      if (seen.has(c.name)) continue; // a better-ranked source already gave this label
      seen.add(c.name);
      if (kept.length < maxLabels) kept.push({ name: c.name, value: c.value });
      else {
        meta.push({ name: c.name, value: c.value });
        cut++;
      }
    }
    return { labels: kept, cut };
  }

  return {
    convert(data: LogsData): ConvertedLogs {
      const out: ConvertedLogs = {
        tenants: new Map(),
        lines: 0,
        truncated: 0,
        moved: { label_limit: 0, correlation_id: 0, value_too_long: 0 },
      };
      let now: Int64 | undefined;
      for (const rl of data.resourceLogs) {
        const ctx = resourceContext(rl.resource);
        // Created on first use: a resource whose records all get their own labels adds no stream.
        let resourceStream: LokiStream | undefined;
        for (const sl of rl.scopeLogs) {
          const shared = scopeShared(ctx.meta, sl.scope, names);
          const sharedBytes = metaBytes(shared);
          for (const rec of sl.logRecords) {
            let ts = rec.timeUnixNano;
            if (isZero(ts)) ts = rec.observedTimeUnixNano;
            if (isZero(ts)) ts = now ??= nowNanos();
            split(ts as Int64);
            const sec = scratchSec;
            const nanos = scratchNanos;

            let line = bodyToLine(rec.body, ctx.format);
            if (maxLine > 0) {
              const t = truncateLine(line, maxLine);
              if (t !== line) {
                out.truncated++;
                line = t;
              }
            }

            const r = recordFields(rec, ctx);
            let stream: LokiStream;
            if (r.extra !== undefined || r.tenant !== undefined) {
              let labels = ctx.labels;
              if (r.extra !== undefined) {
                const capped = capLabels([...ctx.candidates, ...r.extra], r.meta);
                labels = capped.labels;
                out.moved.label_limit += capped.cut;
              } else out.moved.label_limit += ctx.cut;
              const tenant = r.tenant ?? ctx.tenant;
              stream = streamFor(out, tenant, labels === ctx.labels ? ctx.selector : renderSelector(labels), labels);
            } else {
              stream = resourceStream ??= streamFor(out, ctx.tenant, ctx.selector, ctx.labels);
              out.moved.label_limit += ctx.cut;
            }
            out.moved.correlation_id += ctx.moved.correlation_id + r.correlation;
            out.moved.value_too_long += ctx.moved.value_too_long;
            stream.entries.push({
              sec,
              nanos,
              line,
              meta: r.meta,
              shared,
              bytes: ENTRY_OVERHEAD + line.length + metaBytes(r.meta) + sharedBytes,
            });
            out.lines++;
          }
        }
      }
      return out;
    },
  };

  /** The record's own metadata, extra labels (configured/hinted record attributes) and tenant. */
  function recordFields(
    rec: LogRecord,
    ctx: ResourceContext,
  ): { meta: MetadataPair[]; extra: Candidate[] | undefined; tenant: string | undefined; correlation: number } {
    const attrs = rec.attributes ?? [];
    const meta: MetadataPair[] = [];
    let extra: Candidate[] | undefined;
    let tenant: string | undefined;
    let hinted: ReadonlySet<string> | undefined;
    const moved = { correlation_id: 0, value_too_long: 0 };
    for (const kv of attrs) {
      if (kv.key.charCodeAt(0) === 108 /* l */ && isHint(kv.key)) {
        if (kv.key === HINT_ATTRIBUTE_LABELS) hinted = hintSet(kv.value);
        else if (kv.key === HINT_TENANT && ctx.tenant === config.tenant_id) {
          // A resource-level tenant hint takes precedence (as in the contrib exporter).
          const source = anyValueToString(kv.value);
          const t = getStringAttribute(attrs, source);
          if (t !== undefined) tenant = t || undefined;
        }
      }
    }
    const traceId = rec.traceId && rec.traceId.length > 0 ? rec.traceId : undefined;
    const spanId = rec.spanId && rec.spanId.length > 0 ? rec.spanId : undefined;
    let hasLevel = false;
    for (let i = 0; i < attrs.length; i++) {
      const kv = attrs[i];
      const key = kv.key;
      if (isHint(key)) continue;
      let label = attributeLabels.get(key);
      let rank = RANK_CONFIGURED + i;
      if (label === undefined && hinted?.has(key)) {
        label = names.get(key);
        rank = RANK_HINT + i;
      }
      if (label !== undefined) {
        const c = promote(label, key, kv.value, rank, meta, moved);
        if (c) (extra ??= []).push(c);
        continue;
      }
      const name = names.get(key);
      // The record's trace context is authoritative; an attribute copy would be a duplicate.
      if ((traceId && name === 'trace_id') || (spanId && name === 'span_id')) continue;
      if (name === 'level') hasLevel = true;
      flattenInto(meta, name, kv.value);
    }
    if (!isZero(rec.timeUnixNano) && !isZero(rec.observedTimeUnixNano)) {
      split(rec.observedTimeUnixNano as Int64);
      meta.push({ name: 'observed_timestamp', value: nanosString(scratchSec, scratchNanos) });
    }
    const severityNumber = rec.severityNumber ?? 0;
    if (severityNumber !== 0) meta.push({ name: 'severity_number', value: String(severityNumber) });
    const severityText = rec.severityText ?? '';
    if (severityText !== '') meta.push({ name: 'severity_text', value: severityText });
    if (rec.droppedAttributesCount) meta.push({ name: 'dropped_attributes_count', value: String(rec.droppedAttributesCount) });
    if (rec.flags) meta.push({ name: 'flags', value: String(rec.flags) });
    if (traceId) meta.push({ name: 'trace_id', value: idToHex(traceId) });
    if (spanId) meta.push({ name: 'span_id', value: idToHex(spanId) });
    const level = levelOf(severityNumber, severityText);
    if (level !== undefined) {
      if (defaults.level) (extra ??= []).push({ name: 'level', value: level, rank: RANK_CONFIGURED });
      else if (!hasLevel) meta.push({ name: 'level', value: level });
    }
    return { meta, extra, tenant, correlation: moved.correlation_id };
  }
}

function streamFor(out: ConvertedLogs, tenant: string | undefined, selector: string, labels: readonly Label[]): LokiStream {
  const key = tenant ?? '';
  let t = out.tenants.get(key);
  if (!t) out.tenants.set(key, (t = { tenant, streams: new Map() }));
  let s = t.streams.get(selector);
  if (!s) t.streams.set(selector, (s = { selector, labels, entries: [] }));
  return s;
}

/** Resource metadata followed by the scope's attributes, name and version (once per scope). */
function scopeShared(
  resourceMeta: MetadataPair[],
  scope: { name?: string; version?: string; attributes?: KeyValue[]; droppedAttributesCount?: number } | null | undefined,
  names: NameCache,
): MetadataPair[] {
  if (!scope) return resourceMeta;
  const attrs = scope.attributes ?? [];
  if (attrs.length === 0 && !scope.name && !scope.version && !scope.droppedAttributesCount) return resourceMeta;
  const shared = [...resourceMeta];
  for (const kv of attrs) flattenInto(shared, names.get(kv.key), kv.value);
  if (scope.name) shared.push({ name: 'scope_name', value: scope.name });
  if (scope.version) shared.push({ name: 'scope_version', value: scope.version });
  if (scope.droppedAttributesCount) {
    shared.push({ name: 'scope_dropped_attributes_count', value: String(scope.droppedAttributesCount) });
  }
  return shared;
}

/**
 * Appends an attribute as metadata: nested maps flatten to `parent_child` (each level normalised,
 * as Loki does); every other value in its string form.
 */
export function flattenInto(out: MetadataPair[], name: string, value: AnyValue | null | undefined): void {
  if (value && isSet(value, 'kvlistValue')) {
    for (const kv of value.kvlistValue!.values) flattenInto(out, normalizeLabelName(`${name}_${kv.key}`), kv.value);
    return;
  }
  if (value && isSet(value, 'intValue')) {
    out.push({ name, value: int64ToString(value.intValue) });
    return;
  }
  out.push({ name, value: anyValueToString(value) });
}

/** Bytes of framing per entry: timestamp, field tags and lengths. */
const ENTRY_OVERHEAD = 24;

function metaBytes(meta: readonly MetadataPair[]): number {
  let n = 0;
  for (let i = 0; i < meta.length; i++) n += meta[i].name.length + meta[i].value.length + 6;
  return n;
}

function isHint(key: string): boolean {
  return key === HINT_RESOURCE_LABELS || key === HINT_ATTRIBUTE_LABELS || key === HINT_FORMAT || key === HINT_TENANT;
}

function lineFormat(value: string, fallback: LineFormat): LineFormat {
  return value === 'json' || value === 'logfmt' || value === 'raw' ? value : fallback;
}

/** The attribute as a string; undefined when absent or empty. */
function stringAttr(attrs: readonly KeyValue[], key: string): string | undefined {
  return getStringAttribute(attrs, key) || undefined;
}

/**
 * The level Loki would detect from OTLP severity (its detected_level rules): the severity number's
 * range when set, else the severity text lower-cased.
 */
export function levelOf(severityNumber: number, severityText: string): string | undefined {
  if (severityNumber > 0) {
    if (severityNumber <= 4) return 'trace';
    if (severityNumber <= 8) return 'debug';
    if (severityNumber <= 12) return 'info';
    if (severityNumber <= 16) return 'warn';
    if (severityNumber <= 20) return 'error';
    return 'critical';
  }
  return severityText === '' ? undefined : severityText.toLowerCase();
}

function isZero(ts: Int64 | null | undefined): boolean {
  if (ts === null || ts === undefined) return true;
  return typeof ts === 'number' ? ts === 0 : ts.low === 0 && ts.high === 0;
}

let scratchSec = 0;
let scratchNanos = 0;

/**
 * Splits 64-bit nanoseconds into seconds and nanoseconds exactly, into `scratchSec` /
 * `scratchNanos` without allocating: long division of the four 16-bit limbs by 1e9 (every
 * intermediate stays below 2^53). A BigInt round trip per record costs several allocations.
 */
function split(ts: Int64): void {
  if (typeof ts === 'number') {
    scratchSec = Math.floor(ts / 1e9);
    scratchNanos = Math.round(ts - scratchSec * 1e9);
    return;
  }
  const hi = ts.high >>> 0;
  const lo = ts.low >>> 0;
  let cur = hi >>> 16;
  let q = Math.floor(cur / 1e9);
  let rem = cur - q * 1e9;
  let sec = q;
  cur = rem * 65536 + (hi & 0xffff);
  q = Math.floor(cur / 1e9);
  rem = cur - q * 1e9;
  sec = sec * 65536 + q;
  cur = rem * 65536 + (lo >>> 16);
  q = Math.floor(cur / 1e9);
  rem = cur - q * 1e9;
  sec = sec * 65536 + q;
  cur = rem * 65536 + (lo & 0xffff);
  q = Math.floor(cur / 1e9);
  rem = cur - q * 1e9;
  scratchSec = sec * 65536 + q;
  scratchNanos = rem;
}

/** Nanoseconds since the epoch as a decimal string (Loki's JSON timestamps, `observed_timestamp`). */
export function nanosString(sec: number, nanos: number): string {
  if (sec === 0) return String(nanos);
  return `${sec}${String(nanos).padStart(9, '0')}`;
}

/** Seconds and nanoseconds of a 64-bit nanosecond timestamp, exactly. */
export function splitNanos(ts: Int64): { sec: number; nanos: number } {
  split(ts);
  return { sec: scratchSec, nanos: scratchNanos };
}
