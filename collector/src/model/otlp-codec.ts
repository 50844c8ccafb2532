/**
 * The one place OTLP bytes become data and back, for every receiver, exporter, test and
 * benchmark: protobuf (protobufjs, reflection-compiled from collector/proto) and OTLP/JSON.
 */
import type protobuf from 'protobufjs';
import { errors, StitchError } from '../errors.js';
import { JsonMappingError, messageFromJson, messageToJson } from './otlp-json.js';
import { OTLP_TYPES } from './proto-root.js';
import type { Signal, SignalData } from './types.js';

/** What an OTLP partial success reports: how many items were rejected and why. */
export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** Encoding on the wire. */
export type OtlpEncoding = 'protobuf' | 'json';

const REQUEST_TYPES: Record<Signal, protobuf.Type> = {
  traces: OTLP_TYPES.tracesRequest,
  metrics: OTLP_TYPES.metricsRequest,
  logs: OTLP_TYPES.logsRequest,
};
const RESPONSE_TYPES: Record<Signal, protobuf.Type> = {
  traces: OTLP_TYPES.tracesResponse,
  metrics: OTLP_TYPES.metricsResponse,
  logs: OTLP_TYPES.logsResponse,
};
const REJECTED_FIELD: Record<Signal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};
const REQUEST_NAMES: Record<Signal, string> = {
  traces: 'ExportTraceServiceRequest',
  metrics: 'ExportMetricsServiceRequest',
  logs: 'ExportLogsServiceRequest',
};

/**
 * Decodes an OTLP export request body. Throws STITCH_ERR_DECODE (kind `input`) with the
 * reason, so receivers answer 400 / INVALID_ARGUMENT.
 */
export function decodeRequest<S extends Signal>(signal: S, body: Uint8Array, encoding: OtlpEncoding): SignalData[S] {
  const type = REQUEST_TYPES[signal];
  if (encoding === 'protobuf') {
    let data: SignalData[S];
    try {
      data = type.decode(body) as unknown as SignalData[S];
    } catch (err) {
      throw errors.STITCH_ERR_DECODE([`OTLP protobuf ${REQUEST_NAMES[signal]}`, (err as Error).message], { cause: err });
    }
    const bad = badIdPath(signal, data);
    if (bad) throw errors.STITCH_ERR_DECODE([`OTLP protobuf ${REQUEST_NAMES[signal]}`, bad]);
    return data;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw errors.STITCH_ERR_DECODE([`OTLP JSON ${REQUEST_NAMES[signal]}`, (err as Error).message], { cause: err });
  }
  try {
    return messageFromJson(type, parsed) as unknown as SignalData[S];
  } catch (err) {
    if (err instanceof JsonMappingError) {
      throw errors.STITCH_ERR_DECODE([`OTLP JSON ${REQUEST_NAMES[signal]}`, err.message], { cause: err, path: err.path });
    }
    throw err;
  }
}

/** `bytes` fields that hold IDs: empty (unset) or exactly this many bytes. */
const ID_BYTES = { traceId: 16, spanId: 8, parentSpanId: 8 } as const;

function idProblem(holder: object): boolean {
  const h = holder as Record<string, Uint8Array | null | undefined>;
  const t = h.traceId?.length ?? 0;
  const sp = h.spanId?.length ?? 0;
  const p = h.parentSpanId?.length ?? 0;
  return (t !== 0 && t !== 16) || (sp !== 0 && sp !== 8) || (p !== 0 && p !== 8);
}

function idPath(holder: object, path: string): string {
  for (const [field, size] of Object.entries(ID_BYTES)) {
    const v = (holder as Record<string, Uint8Array | null | undefined>)[field];
    if (v && v.length !== 0 && v.length !== size) return `${path}.${field}: expected ${size} bytes, got ${v.length}`;
  }
  return path;
}

/**
 * The first trace/span ID whose length is neither 0 nor 16 / 8 bytes, as a path. protobufjs
 * accepts any `bytes`; the Collector's pdata refuses such IDs ("invalid TraceID length") and so
 * does our JSON mapping, so a protobuf request gets the same 400. One pass over spans, links,
 * log records and exemplars: a length check each, no allocation.
 */
function badIdPath(signal: Signal, data: SignalData[Signal]): string | undefined {
  if (signal === 'traces') {
    const rss = (data as SignalData['traces']).resourceSpans;
    for (let i = 0; i < rss.length; i++) {
      const sss = rss[i]?.scopeSpans ?? [];
      for (let j = 0; j < sss.length; j++) {
        const spans = sss[j]?.spans ?? [];
        for (let k = 0; k < spans.length; k++) {
          const span = spans[k] as (typeof spans)[number];
          if (idProblem(span)) return idPath(span, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`);
          const links = span.links ?? [];
          for (let l = 0; l < links.length; l++) {
            const link = links[l] as (typeof links)[number];
            if (idProblem(link)) return idPath(link, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}].links[${l}]`);
          }
        }
      }
    }
  } else if (signal === 'logs') {
    const rls = (data as SignalData['logs']).resourceLogs;
    for (let i = 0; i < rls.length; i++) {
      const sls = rls[i]?.scopeLogs ?? [];
      for (let j = 0; j < sls.length; j++) {
        const records = sls[j]?.logRecords ?? [];
        for (let k = 0; k < records.length; k++) {
          const r = records[k] as (typeof records)[number];
          if (idProblem(r)) return idPath(r, `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`);
        }
      }
    }
  } else {
    const rms = (data as SignalData['metrics']).resourceMetrics;
    for (let i = 0; i < rms.length; i++) {
      const sms = rms[i]?.scopeMetrics ?? [];
      for (let j = 0; j < sms.length; j++) {
        const metrics = sms[j]?.metrics ?? [];
        for (let k = 0; k < metrics.length; k++) {
          const m = metrics[k] as (typeof metrics)[number];
          const points: readonly { exemplars?: readonly object[] | null }[] =
            (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram)?.dataPoints ?? [];
          for (let d = 0; d < points.length; d++) {
            const exemplars = points[d]?.exemplars ?? [];
            for (let e = 0; e < exemplars.length; e++) {
              const ex = exemplars[e] as object;
              if (idProblem(ex)) {
                return idPath(ex, `resourceMetrics[${i}].scopeMetrics[${j}].metrics[${k}].dataPoints[${d}].exemplars[${e}]`);
              }
            }
          }
        }
      }
    }
  }
  return undefined;
}

/** Encodes data as an OTLP export request body. */
export function encodeRequest<S extends Signal>(signal: S, data: SignalData[S], encoding: OtlpEncoding): Uint8Array {
  const type = REQUEST_TYPES[signal];
  if (encoding === 'protobuf') return type.encode(data as unknown as protobuf.Message).finish();
  return Buffer.from(JSON.stringify(messageToJson(type, data)));
}

/** Encodes the export response; `partial` is omitted when nothing was rejected. */
export function encodeResponse(signal: Signal, encoding: OtlpEncoding, partial?: PartialSuccess): Uint8Array {
  const type = RESPONSE_TYPES[signal];
  const message =
    partial && (partial.rejected > 0 || partial.errorMessage)
      ? { partialSuccess: { [REJECTED_FIELD[signal]]: partial.rejected, errorMessage: partial.errorMessage } }
      : {};
  if (encoding === 'protobuf') return type.encode(type.create(message)).finish();
  return Buffer.from(JSON.stringify(messageToJson(type, type.create(message))));
}

/** Decodes an export response (for exporters); returns the partial success when one was reported. */
export function decodeResponse(signal: Signal, body: Uint8Array, encoding: OtlpEncoding): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  const type = RESPONSE_TYPES[signal];
  const message =
    encoding === 'protobuf'
      ? (type.decode(body) as unknown as Record<string, Record<string, unknown> | null>)
      : (messageFromJson(type, JSON.parse(Buffer.from(body).toString('utf8'))) as unknown as Record<
          string,
          Record<string, unknown> | null
        >);
  const ps = message.partialSuccess;
  if (!ps) return undefined;
  const rejected = Number(ps[REJECTED_FIELD[signal]] ?? 0);
  const errorMessage = String(ps.errorMessage ?? '');
  if (rejected === 0 && errorMessage === '') return undefined;
  return { rejected, errorMessage };
}

/** A google.rpc.Status, the body of OTLP/HTTP error responses. */
export interface RpcStatus {
  code: number;
  message: string;
  /** Delay to ask the client for, encoded as a google.rpc.RetryInfo detail. */
  retryAfterMs?: number;
}

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** Encodes a google.rpc.Status (with RetryInfo when `retryAfterMs` is set). */
export function encodeStatus(status: RpcStatus, encoding: OtlpEncoding): Uint8Array {
  const details: { typeUrl: string; value: Uint8Array }[] = [];
  if (status.retryAfterMs !== undefined) {
    const seconds = Math.floor(status.retryAfterMs / 1000);
    const nanos = (status.retryAfterMs % 1000) * 1e6;
    details.push({
      typeUrl: RETRY_INFO_TYPE_URL,
      value: OTLP_TYPES.retryInfo.encode({ retryDelay: { seconds, nanos } }).finish(),
    });
  }
  const message = OTLP_TYPES.status.create({ code: status.code, message: status.message, details });
  if (encoding === 'protobuf') return OTLP_TYPES.status.encode(message).finish();
  return Buffer.from(JSON.stringify(messageToJson(OTLP_TYPES.status, message)));
}

/** Decodes a google.rpc.Status body; returns undefined for an empty or undecodable one. */
export function decodeStatus(body: Uint8Array, encoding: OtlpEncoding): RpcStatus | undefined {
  if (body.length === 0) return undefined;
  try {
    const raw = (encoding === 'protobuf'
      ? OTLP_TYPES.status.decode(body)
      : messageFromJson(OTLP_TYPES.status, JSON.parse(Buffer.from(body).toString('utf8')))) as unknown as {
      code: number;
      message: string;
      details: { typeUrl: string; value: Uint8Array }[];
    };
    const status: RpcStatus = { code: raw.code, message: raw.message };
    for (const d of raw.details ?? []) {
      if (d.typeUrl === RETRY_INFO_TYPE_URL) {
        const info = OTLP_TYPES.retryInfo.decode(d.value) as unknown as {
          retryDelay?: { seconds: number | { toNumber(): number }; nanos: number };
        };
        if (info.retryDelay) {
          const s = info.retryDelay.seconds;
          status.retryAfterMs = (typeof s === 'number' ? s : s.toNumber()) * 1000 + Math.round(info.retryDelay.nanos / 1e6);
        }
      }
    }
    return status;
  } catch {
    return undefined;
  }
}

/** Re-exported so callers can tell a decode failure apart. */
export { StitchError };
