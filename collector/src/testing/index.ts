/**
 * Helpers for component tests: settings with a silent logger and private self-telemetry, a
 * consumer that records what it receives, and free loopback ports. Not part of the public API.
 */
import { createServer } from 'node:net';
import Long from 'long';
import { pino } from 'pino';
import type { ComponentKind, ConsumeContext, Consumer, CreateSettings, Host } from '../component/component.js';
import { countItems } from '../model/count.js';
import type { MetricsData, Signal, SignalData } from '../model/types.js';
import { SelfTelemetry } from '../telemetry/self-metrics.js';

/** CreateSettings for a component under test; `telemetry` is private to the returned object. */
export function testSettings(
  id: string,
  kind: ComponentKind,
  telemetry = new SelfTelemetry({ processMetrics: false }),
): CreateSettings & { selfTelemetry: SelfTelemetry } {
  return {
    id,
    kind,
    logger: pino({ level: process.env.STITCH_TEST_LOG ?? 'silent' }),
    telemetry: telemetry.forComponent(id),
    selfTelemetry: telemetry,
  };
}

/** A Host with the given extensions. */
export function testHost(extensions: Record<string, unknown> = {}): Host {
  return { getExtension: (id) => extensions[id] as never };
}

/** A consumer that stores every batch it accepts; `refuseWith` makes it reject instead. */
export class CollectingConsumer<S extends Signal> implements Consumer<SignalData[S]> {
  readonly capabilities = { mutatesData: false };
  readonly batches: SignalData[S][] = [];
  readonly contexts: (ConsumeContext | undefined)[] = [];
  refuseWith: Error | undefined;

  constructor(readonly signal: S) {}

  async consume(batch: SignalData[S], context?: ConsumeContext): Promise<void> {
    if (this.refuseWith) throw this.refuseWith;
    this.batches.push(batch);
    this.contexts.push(context);
  }

  /** Total items (spans, data points, log records) received. */
  get itemCount(): number {
    return this.batches.reduce((n, b) => n + countItems(this.signal, b), 0);
  }

  /** Resolves when at least `items` items arrived; rejects after `timeoutMs`. */
  async waitForItems(items: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.itemCount < items) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${items} items, have ${this.itemCount}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks; the port is closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** One gauge point, `queue.depth` = 3 of service `api` at `ms` (fixed64 nanoseconds, as OTLP carries them). */
export function gaugeBatch(ms: number): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'queue.depth',
                gauge: { dataPoints: [{ attributes: [], timeUnixNano: Long.fromNumber(ms, true).mul(1_000_000), asDouble: 3 }] },
              },
            ],
          },
        ],
      },
    ],
  };
}
