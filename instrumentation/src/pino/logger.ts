/**
 * pino integration: every line written inside an instrumented request or reconcile carries
 * `request_id`, `rid`, `trace_id` and `span_id` (the wire keys of DESIGN.md), read from the
 * correlation context — to stdout as JSON for the container log receiver and, optionally, as
 * OTLP log records exported from a worker thread (./otlp-transport.ts), so the event loop never
 * waits for the network.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RECONCILE_ID, REQUEST_ID, SPAN_ID, TRACE_ID } from '@stitch/correlation';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { currentCorrelation } from '../context.js';
import { getTelemetry, type Telemetry } from '../setup/telemetry.js';
import type { OtlpTransportOptions } from './otlp-transport.js';

/**
 * A pino `mixin` adding the current IDs. Use it on an existing logger:
 * `pino({ mixin: stitchMixin })`. Outside a request or reconcile it adds nothing. Returns a fresh
 * object each time: pino's default merge strategy writes into it.
 */
export function stitchMixin(): Record<string, string> {
  const c = currentCorrelation();
  if (c === undefined) return {};
  const out: Record<string, string> = {};
  if (c.requestId !== undefined) out[REQUEST_ID] = c.requestId;
  if (c.rid !== undefined) out[RECONCILE_ID] = c.rid;
  if (c.traceId !== undefined) {
    out[TRACE_ID] = c.traceId;
    out[SPAN_ID] = c.spanId!;
  }
  return out;
}

/** Options of {@link createLogger}: pino's, plus where lines go. */
export interface StitchLoggerOptions extends LoggerOptions {
  /** Where JSON lines go. Default: stdout (fd 1), written synchronously like pino's default. */
  destination?: DestinationStream;
  /**
   * Also export every line as an OTLP log record, from a worker thread. `true` uses the
   * telemetry's service and resource with OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT; an object sets them.
   */
  otlp?: boolean | (Partial<OtlpTransportOptions> & { telemetry?: Telemetry });
}

/** The worker-thread transport module: the build in source mode (tests), where no .js sits beside this file. */
function transportTarget(): string {
  const here = new URL('./otlp-transport.js', import.meta.url);
  if (existsSync(here)) return fileURLToPath(here);
  return fileURLToPath(new URL('../../dist/pino/otlp-transport.js', import.meta.url));
}

/**
 * A pino logger with {@link stitchMixin}: `const log = createLogger({ otlp: true })`. With
 * `otlp`, lines go to both the destination and the OTLP worker (pino.multistream).
 */
export function createLogger(options: StitchLoggerOptions = {}): Logger {
  const { destination, otlp, mixin: userMixin, ...pinoOptions } = options;
  const mixin: LoggerOptions['mixin'] =
    userMixin === undefined ? stitchMixin : (obj, level, logger) => ({ ...userMixin(obj, level, logger), ...stitchMixin() });
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  if (!otlp) return pino({ ...pinoOptions, mixin }, out);
  const o = otlp === true ? {} : otlp;
  const telemetry = o.telemetry ?? getTelemetry();
  const transportOptions: OtlpTransportOptions = {
    url: o.url,
    headers: o.headers,
    resourceAttributes: o.resourceAttributes ?? { ...(telemetry?.resource.attributes ?? {}) },
    scopeName: o.scopeName ?? pinoOptions.name ?? 'pino',
  };
  const worker = pino.transport({ target: transportTarget(), options: transportOptions });
  return pino({ ...pinoOptions, mixin }, pino.multistream([{ stream: out }, { stream: worker }]));
}
