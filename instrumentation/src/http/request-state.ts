/**
 * The state of one HTTP request: one object that is at once
 * - the request's correlation context (request_id, trace_id, span_id for logs and exemplars),
 * - the active OpenTelemetry {@link Context} inside the handler (the AsyncLocalStorage store), and
 * - on the lean path, the server {@link Span} itself: `trace.getActiveSpan()` returns it, child
 *   spans of the SDK tracer take it as their parent, and what user code sets on it (attributes,
 *   events, status, links) is exported with it. The span is encoded straight to OTLP protobuf when
 *   the request ends (./server-span.ts), so no SDK Span object, attribute map, span processor or
 *   tracer self-metric is involved per request.
 * On the SDK path (custom span processors or exporters), `span` holds the SDK span instead.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  type TraceState,
} from '@opentelemetry/api';
import { isAttributeValue, isTimeInput, isTimeInputHrTime, timeInputToHrTime } from '@opentelemetry/core';
import { type CorrelationContext, LinkedContext, SPAN_KEY, type StitchStore } from '../context.js';
import type { RecordedEvent } from '../trace/span-encoder.js';

/** Limits on what user code adds to a lean span (the SDK TracerProvider's defaults). */
export interface LeanSpanLimits {
  readonly attributeCount: number;
  readonly eventCount: number;
  readonly linkCount: number;
}

/** The SDK's default span limits (128 attributes, events and links; no value length limit). */
export const DEFAULT_SPAN_LIMITS: LeanSpanLimits = Object.freeze({ attributeCount: 128, eventCount: 128, linkCount: 128 });

/** What user code added to a lean span; allocated on first use only. */
export class SpanExtras {
  /** User attributes by key (Stitch's own HTTP attributes win over same-named ones). */
  readonly attributes: Attributes = {};
  attributeCount = 0;
  droppedAttributes = 0;
  events: RecordedEvent[] | undefined = undefined;
  droppedEvents = 0;
  links: Link[] | undefined = undefined;
  droppedLinks = 0;
  status: SpanStatus | undefined = undefined;
  name: string | undefined = undefined;
  /** performance.now() or HrTime of an end() called by user code. */
  endTime: number | undefined = undefined;
  constructor(readonly limits: LeanSpanLimits) {}
}

/** Now as a performance.now() reading, or the given time as an HrTime (the SDK's conversion). */
function eventTime(t: TimeInput | undefined): number | [number, number] {
  if (t === undefined) return performance.now();
  if (isTimeInputHrTime(t)) return t as [number, number];
  return timeInputToHrTime(t);
}

/** Per-request state; see the module comment. One object per request. */
export class RequestState implements CorrelationContext, StitchStore, Span {
  requestId: string | undefined = undefined;
  traceId: string | undefined = undefined;
  spanId: string | undefined = undefined;
  /** W3C sampled flag: the span is exported, exemplars may point at it. */
  sampled = false;
  /** The span records (lean path: attributes and events are kept). */
  recording = false;
  /** This object is the span (lean path); false on the SDK path or without tracing. */
  lean = false;
  /** The SDK span (SDK path). */
  span: Span | undefined = undefined;
  /** The extracted parent context (W3C trace context, baggage); ROOT_CONTEXT when none. */
  parent: Context = ROOT_CONTEXT;
  parentSpanId: string | undefined = undefined;
  parentRemote = false;
  traceState: TraceState | undefined = undefined;
  /** The raw request target (path and query) and headers, read when the span is encoded. */
  url = '';
  headers: IncomingHttpHeaders | undefined = undefined;
  /** The method as sent, when it is not a known one (`http.request.method_original`). */
  methodOriginal: string | undefined = undefined;
  /** The error the framework reported, if any (for `error.type`). */
  error: unknown = undefined;
  ended = false;
  /** The `traceresponse` header value, when enabled. */
  traceResponse: string | undefined = undefined;
  /** The route template, for adapters that learn it before the end (fastify's per-route hook). */
  route: string | undefined = undefined;
  /** What user code added to the lean span. */
  extra: SpanExtras | undefined = undefined;
  /** Set once the lean span was encoded (later changes are ignored, as the SDK ignores them). */
  spanEnded = false;
  private sc: SpanContext | undefined = undefined;

  constructor(
    readonly startMs: number,
    readonly method: number,
    readonly https: boolean,
    private readonly limits: LeanSpanLimits = DEFAULT_SPAN_LIMITS,
  ) {}

  // --- CorrelationContext / StitchStore

  get rid(): undefined {
    return undefined;
  }

  get correlation(): CorrelationContext {
    return this;
  }

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) {
      if (this.lean) return this;
      if (this.span !== undefined) return this.span;
    }
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value, this);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined, this);
  }

  // --- Span (lean path; user code reaches it through trace.getActiveSpan())

  spanContext(): SpanContext {
    this.sc ??= {
      traceId: this.traceId!,
      spanId: this.spanId!,
      traceFlags: this.sampled ? 1 : 0,
      traceState: this.traceState,
      isRemote: false,
    };
    return this.sc;
  }

  private extras(): SpanExtras | undefined {
    if (!this.recording || this.spanEnded) return undefined;
    this.extra ??= new SpanExtras(this.limits);
    return this.extra;
  }

  setAttribute(key: string, value: AttributeValue): this {
    const x = this.extras();
    if (x === undefined || key.length === 0 || value == null || !isAttributeValue(value)) return this;
    if (!Object.hasOwn(x.attributes, key)) {
      if (x.attributeCount >= x.limits.attributeCount) {
        x.droppedAttributes++;
        return this;
      }
      x.attributeCount++;
    }
    x.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    const x = this.extras();
    if (x === undefined) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else {
      attributes = attributesOrTime;
    }
    const events = (x.events ??= []);
    if (x.limits.eventCount === 0) {
      x.droppedEvents++;
      return this;
    }
    // As the SDK: past the limit, the oldest event goes.
    if (events.length >= x.limits.eventCount) {
      events.shift();
      x.droppedEvents++;
    }
    events.push({ name, time: eventTime(time), attributes, droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    const x = this.extras();
    if (x === undefined) return this;
    const links = (x.links ??= []);
    if (links.length >= x.limits.linkCount) x.droppedLinks++;
    else links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    const x = this.extras();
    // As the SDK: OK is final, UNSET is no change.
    if (x === undefined || x.status?.code === SpanStatusCode.OK || status.code === SpanStatusCode.UNSET) return this;
    x.status = status.code === SpanStatusCode.ERROR ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    const x = this.extras();
    if (x !== undefined) x.name = name;
    return this;
  }

  /** User code ending the server span early sets its end time; the request still ends it. */
  end(endTime?: TimeInput): void {
    const x = this.extras();
    if (x === undefined || x.endTime !== undefined) return;
    const t = eventTime(endTime);
    x.endTime = typeof t === 'number' ? t : t[0] * 1000 + t[1] / 1e6 - performance.timeOrigin;
  }

  isRecording(): boolean {
    return this.recording && !this.spanEnded;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const x = this.extras();
    if (x === undefined) return;
    const attributes = exceptionAttributes(exception);
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) {
      this.addEvent('exception', attributes, time);
    }
  }
}

/** The `exception` event's attributes, as the SDK's Span.recordException builds them. */
export function exceptionAttributes(exception: Exception): Attributes {
  const attributes: Attributes = {};
  if (typeof exception === 'string') {
    attributes['exception.message'] = exception;
  } else if (exception) {
    if (exception.code) attributes['exception.type'] = exception.code.toString();
    else if (exception.name) attributes['exception.type'] = exception.name;
    if (exception.message) attributes['exception.message'] = exception.message;
    if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
  }
  return attributes;
}
