/**
 * The `correlation` processor (traces, metrics, logs), a thin adapter over @stitch/correlation:
 * - normalises ID aliases to the canonical keys (`reconcileID` → `rid`, `x-request-id` →
 *   `request_id`) on log and span attributes and on exemplar filtered attributes, and removes
 *   hostile values (too long, control characters, malformed trace IDs), counting them;
 * - lifts IDs out of JSON log bodies (kvlist bodies directly; string bodies only when they look
 *   like a JSON object), and trace_id / span_id into the record's trace context;
 * - joins logs and spans within `join_window`: a log line with request_id / rid but no trace
 *   context gets the trace of the span that carried that ID; spans without an ID get the one the
 *   log lines of their trace carried;
 * - feeds the correlation index of the `correlation` extension, once per batch per distinct ID
 *   combination.
 * It never overwrites what the sender set. Work per record is a pass over its attributes plus a few
 * map lookups; counting and index updates happen per batch.
 */
import {
  type CorrelationIdKey,
  type CorrelationIndex,
  canonicalIdKey,
  checkId,
  extractIds,
  type IdProblem,
  type Observation,
  parseJsonObject,
  type SeriesRef,
} from '@stitch/correlation';
import type { Component, ConsumeContext, Consumer, CreateSettings, Host } from '../../component/component.js';
import { errors } from '../../errors.js';
import { correlationIndexOf } from '../../extensions/correlation/extension.js';
import {
  type AnyValue,
  type Exemplar,
  type KeyValue,
  type LogRecord,
  type LogsData,
  type Metric,
  type MetricsData,
  type Resource,
  type Signal,
  type SignalData,
  StatusCode,
  type TracesData,
} from '../../model/types.js';
import { findAttribute, getStringAttribute, hexIdToBytes, idToHex, int64ToString, isSet } from '../../model/values.js';
import { sharedCounter } from '../../telemetry/self-metrics.js';
import type { CorrelationProcessorConfig } from './config.js';
import { acquireJoinState, type JoinState, releaseJoinState } from './join-state.js';
import { jobOf, SeriesNamer } from './series.js';

/** The extension ID a processor feeds when `index` is not set (if such an extension runs). */
export const DEFAULT_INDEX_EXTENSION = 'correlation';

/** OTLP SeverityNumber ERROR (17) and above count as error lines. */
const SEVERITY_ERROR = 17;

/** IDs found on one record. */
interface Found {
  request_id?: string | undefined;
  rid?: string | undefined;
  trace_id?: string | undefined;
  span_id?: string | undefined;
}

/** Where a resource runs (read once per resource). */
interface Where {
  service?: string | undefined;
  namespace?: string | undefined;
  pod?: string | undefined;
  job?: string | undefined;
}

function whereOf(resource: Resource | null | undefined): Where {
  const attrs = resource?.attributes;
  return {
    service: getStringAttribute(attrs, 'service.name'),
    namespace: getStringAttribute(attrs, 'k8s.namespace.name'),
    pod: getStringAttribute(attrs, 'k8s.pod.name'),
    job: jobOf(attrs),
  };
}

/** The string form of an attribute value that may be an ID, or undefined when it cannot be one. */
function idString(v: AnyValue | null | undefined): string | undefined {
  if (!v) return undefined;
  if (isSet(v, 'stringValue')) return v.stringValue as string;
  if (isSet(v, 'intValue')) return int64ToString(v.intValue);
  if (isSet(v, 'arrayValue')) {
    const values = v.arrayValue!.values;
    return values.length === 1 ? idString(values[0]) : undefined;
  }
  return undefined;
}

/** Per-batch tallies: rejected IDs by key and problem, joins by direction. */
class BatchTally {
  rejected: Map<string, number> | undefined;
  joinedLogs = 0;
  joinedSpans = 0;
  reject(key: CorrelationIdKey, problem: IdProblem): void {
    const k = `${key}\u0000${problem}`;
    this.rejected ??= new Map();
    this.rejected.set(k, (this.rejected.get(k) ?? 0) + 1);
  }
}

/** True when a record carries an ID the index keys on (request_id, rid or trace_id). */
function hasIds(f: Found): boolean {
  return f.request_id !== undefined || f.rid !== undefined || f.trace_id !== undefined;
}

/** Folds one batch into one observation per distinct ID combination. */
class Folder {
  readonly byIds = new Map<string, Observation>();
  /** Adds a record that has IDs (check `hasIds` first: the caller skips building `extra` otherwise). */
  add(f: Found, where: Where, extra: Partial<Observation>): void {
    const key = `${f.request_id ?? ''}\u0000${f.rid ?? ''}\u0000${f.trace_id ?? ''}`;
    let o = this.byIds.get(key);
    if (o === undefined) {
      o = {
        requestId: f.request_id,
        rid: f.rid,
        traceId: f.trace_id,
        service: where.service,
        namespace: where.namespace,
        pod: where.pod,
        logs: 0,
        errorLogs: 0,
        spans: 0,
        errorSpans: 0,
      };
      this.byIds.set(key, o);
    }
    o.logs = (o.logs ?? 0) + (extra.logs ?? 0);
    o.errorLogs = (o.errorLogs ?? 0) + (extra.errorLogs ?? 0);
    o.spans = (o.spans ?? 0) + (extra.spans ?? 0);
    o.errorSpans = (o.errorSpans ?? 0) + (extra.errorSpans ?? 0);
    o.controller ||= extra.controller;
    o.objectNamespace ||= extra.objectNamespace;
    o.objectName ||= extra.objectName;
    if (extra.series) {
      const list = (o.series ??= []) as SeriesRef[];
      for (const s of extra.series) if (!list.includes(s)) list.push(s);
    }
  }
}

/** Creates the processor for one pipeline's signal. */
export function createCorrelationProcessor<S extends Signal>(
  settings: CreateSettings,
  config: CorrelationProcessorConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
): Component & Consumer<SignalData[S]> {
  const join: JoinState = acquireJoinState(settings.id, config.join_cache_size, config.join_window);
  let released = false;
  let stopped = false;
  let index: CorrelationIndex | undefined;
  const namer = new SeriesNamer();
  const registry = settings.telemetry.registry;
  const rejectedCounter = sharedCounter(
    registry,
    'stitch_processor_correlation_rejected_ids_total',
    'Correlation IDs a correlation processor removed because they were invalid (reason invalid_data), by key and problem.',
    ['component_id', 'signal', 'key', 'problem', 'reason'],
  );
  const joinedCounter = sharedCounter(
    registry,
    'stitch_processor_correlation_joined_total',
    'Log records given a trace context (direction log) and spans given a request_id / rid (direction span) by a correlation processor.',
    ['component_id', 'direction'],
  );

  /**
   * One pass over an attribute list: validates every ID alias, removes invalid ones, renames
   * aliases to canonical keys, and records what it found. Returns the (possibly shortened) list.
   */
  const scanAttributes = (attrs: KeyValue[], found: Found, tally: BatchTally): void => {
    for (let i = 0; i < attrs.length; i++) {
      const kv = attrs[i];
      const key = canonicalIdKey(kv.key);
      if (key === undefined) continue;
      const raw = idString(kv.value);
      if (raw === undefined) continue; // an object under an ID name is not an ID; leave it alone
      const value = key === 'trace_id' || key === 'span_id' ? raw.toLowerCase() : raw;
      const problem = checkId(key, value);
      if (problem !== undefined) {
        tally.reject(key, problem);
        attrs.splice(i--, 1);
        continue;
      }
      if (kv.key !== key && config.normalize_aliases) {
        if (findAttribute(attrs, key) !== undefined) {
          attrs.splice(i--, 1); // the canonical key is there already: the alias is a duplicate
          continue;
        }
        kv.key = key;
        kv.value = { stringValue: value };
      }
      if (found[key] === undefined) found[key] = value;
    }
  };

  /** Lifts IDs from a JSON body into attributes (request_id, rid) or found (trace/span). */
  const scanBody = (record: LogRecord, found: Found, tally: BatchTally): void => {
    const body = record.body;
    if (!body) return;
    let obj: Record<string, unknown> | undefined;
    if (isSet(body, 'stringValue')) {
      obj = parseJsonObject(body.stringValue as string);
    } else if (isSet(body, 'kvlistValue')) {
      // Only the top-level keys that can carry IDs are converted (plus pino-http's `req`).
      for (const kv of body.kvlistValue!.values) {
        if (kv.key === 'req' && isSet(kv.value ?? {}, 'kvlistValue')) {
          const id = findAttribute(kv.value!.kvlistValue!.values, 'id');
          const s = idString(id?.value);
          if (s !== undefined) (obj ??= {}).req = { id: s };
        } else if (canonicalIdKey(kv.key) !== undefined) {
          const s = idString(kv.value);
          if (s !== undefined) (obj ??= {})[kv.key] = s;
        }
      }
    }
    if (obj === undefined) return;
    const { ids, rejected } = extractIds(obj);
    for (const r of rejected) tally.reject(r.key, r.problem);
    for (const key of ['request_id', 'rid', 'trace_id', 'span_id'] as const) {
      const v = ids[key];
      if (v === undefined || found[key] !== undefined) continue;
      found[key] = v;
      if (key === 'request_id' || key === 'rid') record.attributes.push({ key, value: { stringValue: v } });
    }
  };

  const consumeLogs = (data: LogsData, tally: BatchTally, folder: Folder): void => {
    const { contextById, idsByTrace } = join;
    const now = Date.now();
    for (const rl of data.resourceLogs) {
      const where = whereOf(rl.resource);
      for (const sl of rl.scopeLogs) {
        for (const record of sl.logRecords) {
          const found: Found = {};
          record.attributes ??= [];
          scanAttributes(record.attributes, found, tally);
          if (config.parse_json_body) scanBody(record, found, tally);
          let traceHex = idToHex(record.traceId);
          // trace_id / span_id found as attributes or in the body become the record's trace
          // context (the attributes go: the loki exporter writes the trace fields itself).
          if (found.trace_id !== undefined) {
            if (traceHex === '') {
              // Validated as lowercase hex of the right length by @stitch/correlation.
              record.traceId = hexIdToBytes(found.trace_id, 16);
              if (found.span_id !== undefined && idToHex(record.spanId) === '') record.spanId = hexIdToBytes(found.span_id, 8);
              traceHex = found.trace_id;
            }
            if (traceHex === found.trace_id) removeKeys(record.attributes, 'trace_id', 'span_id');
          }
          const id = found.request_id ?? found.rid;
          if (traceHex === '' && id !== undefined && config.attach_trace_context) {
            const ctx =
              (found.request_id && contextById.get(found.request_id, now)) || (found.rid && contextById.get(found.rid, now));
            if (ctx) {
              record.traceId = ctx.traceId;
              record.spanId = ctx.spanId;
              traceHex = idToHex(ctx.traceId);
              tally.joinedLogs++;
            }
          } else if (traceHex !== '' && id !== undefined && config.attach_ids_to_spans && !idsByTrace.has(traceHex, now)) {
            idsByTrace.set(traceHex, { requestId: found.request_id, rid: found.rid, atMs: now }, now);
          }
          found.trace_id = traceHex === '' ? undefined : traceHex;
          if (!hasIds(found)) continue; // nothing to index: skip the attribute lookups below
          const error = (record.severityNumber ?? 0) >= SEVERITY_ERROR ? 1 : 0;
          folder.add(found, where, {
            logs: 1,
            errorLogs: error,
            controller: getStringAttribute(record.attributes, 'controller'),
            objectNamespace: getStringAttribute(record.attributes, 'k8s.object.namespace'),
            objectName: getStringAttribute(record.attributes, 'k8s.object.name'),
          });
        }
      }
    }
  };

  const consumeTraces = (data: TracesData, tally: BatchTally, folder: Folder): void => {
    const { contextById, idsByTrace } = join;
    const now = Date.now();
    for (const rs of data.resourceSpans) {
      const where = whereOf(rs.resource);
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          const found: Found = {};
          span.attributes ??= [];
          scanAttributes(span.attributes, found, tally);
          const traceHex = idToHex(span.traceId);
          if (traceHex !== '') {
            if (found.request_id === undefined && found.rid === undefined) {
              if (config.attach_ids_to_spans && idsByTrace.count > 0) {
                const ids = idsByTrace.get(traceHex, now);
                if (ids) {
                  if (ids.requestId !== undefined)
                    span.attributes.push({ key: 'request_id', value: { stringValue: ids.requestId } });
                  if (ids.rid !== undefined) span.attributes.push({ key: 'rid', value: { stringValue: ids.rid } });
                  found.request_id = ids.requestId;
                  found.rid = ids.rid;
                  tally.joinedSpans++;
                }
              }
            } else if (config.attach_trace_context) {
              // The first span carrying an ID (the server or reconcile span) is the one logs join to.
              for (const id of [found.request_id, found.rid]) {
                if (id !== undefined && !contextById.has(id, now)) {
                  contextById.set(id, { traceId: span.traceId, spanId: span.spanId, atMs: now }, now);
                }
              }
            }
          }
          found.trace_id = traceHex === '' ? undefined : traceHex;
          if (!hasIds(found)) continue;
          folder.add(found, where, {
            spans: 1,
            errorSpans: span.status?.code === StatusCode.ERROR ? 1 : 0,
            controller: getStringAttribute(span.attributes, 'controller'),
            objectNamespace: getStringAttribute(span.attributes, 'k8s.object.namespace'),
            objectName: getStringAttribute(span.attributes, 'k8s.object.name'),
          });
        }
      }
    }
  };

  const consumeMetrics = (data: MetricsData, tally: BatchTally, folder: Folder): void => {
    for (const rm of data.resourceMetrics) {
      const where = whereOf(rm.resource);
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          const points = dataPointsWithExemplars(m);
          if (points === undefined) continue;
          for (const dp of points) {
            const exemplars = dp.exemplars;
            if (!exemplars || exemplars.length === 0) continue;
            let series: SeriesRef | undefined;
            for (const e of exemplars) {
              const found: Found = {};
              e.filteredAttributes ??= [];
              scanAttributes(e.filteredAttributes, found, tally);
              const traceHex = idToHex(e.traceId);
              if (traceHex !== '') found.trace_id = traceHex;
              if (!hasIds(found)) continue;
              series ??= namer.seriesOf(m, where.job, dp.attributes ?? []);
              folder.add(found, where, series ? { series: [series] } : {});
            }
          }
        }
      }
    }
  };

  const process = (batch: SignalData[S]): void => {
    const tally = new BatchTally();
    const folder = new Folder();
    if (signal === 'logs') consumeLogs(batch as LogsData, tally, folder);
    else if (signal === 'traces') consumeTraces(batch as TracesData, tally, folder);
    else consumeMetrics(batch as MetricsData, tally, folder);
    if (index) for (const o of folder.byIds.values()) index.record(o);
    if (tally.rejected) {
      for (const [k, n] of tally.rejected) {
        const [key, problem] = k.split('\u0000');
        rejectedCounter.inc({ component_id: settings.id, signal, key, problem, reason: 'invalid_data' }, n);
      }
    }
    if (tally.joinedLogs > 0) joinedCounter.inc({ component_id: settings.id, direction: 'log' }, tally.joinedLogs);
    if (tally.joinedSpans > 0) joinedCounter.inc({ component_id: settings.id, direction: 'span' }, tally.joinedSpans);
  };

  return {
    capabilities: { mutatesData: true },
    async start(host: Host) {
      const id = config.index ?? DEFAULT_INDEX_EXTENSION;
      index = correlationIndexOf(host.getExtension(id));
      if (index === undefined && config.index !== undefined) {
        throw errors.STITCH_ERR_EXTENSION_UNDEFINED([config.index], {
          path: `processors.${settings.id}.index`,
        });
      }
    },
    async shutdown() {
      stopped = true;
      if (!released) {
        released = true;
        releaseJoinState(settings.id);
      }
    },
    consume(batch: SignalData[S], context?: ConsumeContext): Promise<void> {
      if (stopped) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      process(batch);
      return next.consume(batch, context);
    },
  };
}

function removeKeys(attrs: KeyValue[], a: string, b: string): void {
  for (let i = attrs.length - 1; i >= 0; i--) if (attrs[i].key === a || attrs[i].key === b) attrs.splice(i, 1);
}

type PointWithExemplars = { attributes: KeyValue[]; exemplars?: Exemplar[] };

function dataPointsWithExemplars(m: Metric): PointWithExemplars[] | undefined {
  return m.histogram?.dataPoints ?? m.sum?.dataPoints ?? m.gauge?.dataPoints ?? m.exponentialHistogram?.dataPoints;
}
