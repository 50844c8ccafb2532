/**
 * Carries exemplars from Stitch's histograms to the OTLP payload.
 *
 * The SDK's data model (`DataPoint<Histogram>`) and its OTLP serializers have no exemplars, so
 * the producer records them in a side table keyed by the data point object, and the metric
 * exporter (./otlp-exporter.ts) uses a serializer that first runs the SDK's own JSON serializer,
 * then walks the request alongside the SDK data (same order: resource → scope → metric → point)
 * and sets each histogram point's `exemplars` (OTLP/JSON: hex `traceId`/`spanId`, string
 * `timeUnixNano`, `filteredAttributes` with `request_id` or `rid`). The extra parse and stringify
 * happen once per export interval, never per request, and only when a point has exemplars.
 */
import type { ISerializer } from '@opentelemetry/otlp-transformer';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Exemplar } from './histogram.js';

const TABLE = new WeakMap<object, readonly Exemplar[]>();

/** Attaches exemplars to a produced data point (the producer calls this). */
export function setExemplars(dataPoint: object, exemplars: readonly Exemplar[]): void {
  TABLE.set(dataPoint, exemplars);
}

/** The exemplars of a data point produced by Stitch (empty for any other point). For custom exporters and tests. */
export function exemplarsOf(dataPoint: object): readonly Exemplar[] {
  return TABLE.get(dataPoint) ?? [];
}

/** OTLP/JSON shape of one exemplar. */
interface JsonExemplar {
  timeUnixNano: string;
  asDouble: number;
  traceId?: string;
  spanId?: string;
  filteredAttributes: { key: string; value: { stringValue: string } }[];
}

function toJson(e: Exemplar): JsonExemplar {
  const out: JsonExemplar = {
    // ms → ns without float error on the integer part.
    timeUnixNano: (BigInt(Math.trunc(e.timeMs)) * 1_000_000n + BigInt(Math.round((e.timeMs % 1) * 1e6))).toString(),
    asDouble: e.value,
    filteredAttributes: Object.entries(e.attributes).map(([key, v]) => ({ key, value: { stringValue: v } })),
  };
  if (e.traceId !== undefined && e.spanId !== undefined) {
    out.traceId = e.traceId;
    out.spanId = e.spanId;
  }
  return out;
}

interface JsonRequest {
  resourceMetrics: { scopeMetrics: { metrics: { histogram?: { dataPoints: { exemplars?: JsonExemplar[] }[] } }[] }[] }[];
}

function hasExemplars(rm: ResourceMetrics): boolean {
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.dataPointType !== DataPointType.HISTOGRAM) continue;
      for (const p of m.dataPoints) if (TABLE.has(p)) return true;
    }
  }
  return false;
}

/** Wraps an OTLP/JSON metrics serializer so histogram points carry their exemplars. */
export function withExemplars<R>(base: ISerializer<ResourceMetrics, R>): ISerializer<ResourceMetrics, R> {
  return {
    serializeRequest(rm: ResourceMetrics): Uint8Array | undefined {
      const bytes = base.serializeRequest(rm);
      if (bytes === undefined || !hasExemplars(rm)) return bytes;
      const req = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as JsonRequest;
      const jsonScopes = req.resourceMetrics[0]?.scopeMetrics ?? [];
      rm.scopeMetrics.forEach((sm, i) => {
        sm.metrics.forEach((m, j) => {
          if (m.dataPointType !== DataPointType.HISTOGRAM) return;
          const jsonPoints = jsonScopes[i]?.metrics[j]?.histogram?.dataPoints;
          if (jsonPoints === undefined) return;
          m.dataPoints.forEach((p, k) => {
            const ex = TABLE.get(p);
            const jp = jsonPoints[k];
            if (ex !== undefined && ex.length > 0 && jp !== undefined) jp.exemplars = ex.map(toJson);
          });
        });
      });
      return new TextEncoder().encode(JSON.stringify(req));
    },
    deserializeResponse: (data: Uint8Array) => base.deserializeResponse(data),
  };
}

/** The SDK's OTLP/JSON metrics serializer with exemplars. */
export const exemplarJsonMetricsSerializer = withExemplars(JsonMetricsSerializer);
