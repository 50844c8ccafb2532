/** A scriptable backend for exporterhelper tests: a `push` that records, fails, hangs or throttles. */
import { errors } from '../../errors.js';
import type { LogsData } from '../../model/types.js';
import type { SelfTelemetry } from '../../telemetry/self-metrics.js';
import { idsOf } from './fixtures.js';

/** What the next push does. */
export type BackendMode = 'ok' | 'fail' | 'permanent' | 'hang' | 'ignore-abort';

/** A fake backend whose `push` follows `mode`; `delayMs` slows every accepted push. */
export class FakeBackend {
  mode: BackendMode = 'ok';
  delayMs = 0;
  retryAfterMs: number | undefined;
  readonly delivered: number[] = [];
  attempts = 0;
  inFlight = 0;
  maxInFlight = 0;

  readonly push = async (batch: LogsData, abort: AbortSignal): Promise<void> => {
    this.attempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.mode === 'fail') {
        throw errors.STITCH_ERR_EXPORT_RETRYABLE(['fake', 'HTTP 503'], {
          ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
        });
      }
      if (this.mode === 'permanent') throw errors.STITCH_ERR_EXPORT_PERMANENT(['fake', 'HTTP 400 bad labels']);
      if (this.mode === 'hang') {
        await new Promise((_, reject) => abort.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      }
      if (this.mode === 'ignore-abort') await new Promise(() => {});
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      this.delivered.push(...idsOf(batch));
    } finally {
      this.inFlight--;
    }
  };

  /** Resolves once `n` distinct ids were delivered. */
  async waitForDistinct(n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (new Set(this.delivered).size < n) {
      if (Date.now() > deadline) throw new Error(`timed out: ${new Set(this.delivered).size} of ${n} delivered`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Polls until `cond` holds (bounded). */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The value of a metric series with the given labels (undefined when absent). */
export async function metricValue(
  telemetry: SelfTelemetry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = telemetry.registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value;
}
