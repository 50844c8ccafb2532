/**
 * The pino transport (runs in pino's worker thread) that turns JSON lines into OTLP log records:
 * `msg` → body, `level` → severity, `time` → timestamp, `trace_id` / `span_id` → the record's
 * trace context, every other field → attributes (objects as JSON strings, never dropped
 * silently). Export goes through the SDK's BatchLogRecordProcessor and OTLP/HTTP exporter (their
 * bounded queue drops and counts under pressure). Imports packages only, so the worker can load it
 * from the build.
 */
import { type AnyValue, type Attributes, ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import build from 'pino-abstract-transport';

/** Options passed from createLogger() to the worker (structured-cloned). */
export interface OtlpTransportOptions {
  /** Full logs URL; default OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT. */
  url?: string | undefined;
  headers?: Record<string, string> | undefined;
  resourceAttributes?: Attributes | undefined;
  /** Instrumentation scope name of the records. */
  scopeName?: string | undefined;
}

const SEVERITY: Record<number, [SeverityNumber, string]> = {
  10: [SeverityNumber.TRACE, 'TRACE'],
  20: [SeverityNumber.DEBUG, 'DEBUG'],
  30: [SeverityNumber.INFO, 'INFO'],
  40: [SeverityNumber.WARN, 'WARN'],
  50: [SeverityNumber.ERROR, 'ERROR'],
  60: [SeverityNumber.FATAL, 'FATAL'],
};

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const SKIP = new Set(['msg', 'level', 'time', 'trace_id', 'span_id', 'v']);

function attributeValue(v: unknown): AnyValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** pino-abstract-transport entry point. */
export default async function otlpTransport(options: OtlpTransportOptions = {}) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(options.resourceAttributes ?? {}),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: options.url, headers: options.headers }) })],
  });
  const logger = provider.getLogger(options.scopeName ?? 'pino');
  return build(
    async (source: AsyncIterable<Record<string, unknown>>) => {
      for await (const line of source) {
        const [severityNumber, severityText] = SEVERITY[line.level as number] ?? [SeverityNumber.UNSPECIFIED, String(line.level)];
        const attributes: Attributes = {};
        for (const key in line) {
          if (SKIP.has(key)) continue;
          const v = attributeValue(line[key]);
          if (v !== undefined) attributes[key] = v as Attributes[string];
        }
        const traceId = line.trace_id;
        const spanId = line.span_id;
        const context =
          typeof traceId === 'string' && typeof spanId === 'string' && HEX32.test(traceId) && HEX16.test(spanId)
            ? trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
            : undefined;
        logger.emit({
          timestamp: typeof line.time === 'number' ? line.time : Date.now(),
          severityNumber,
          severityText,
          body: attributeValue(line.msg) ?? '',
          attributes,
          context,
        });
      }
    },
    {
      async close() {
        await provider.shutdown();
      },
    },
  );
}
