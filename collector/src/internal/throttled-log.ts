/**
 * Logs repeated events (drops, give-ups, refusals, evaluation errors) at most once per interval
 * per kind: the first one at once, then one summary line with the totals when the interval ends.
 * Never a line per item (BatchSpanProcessorBase's "log the count once"). Shared by every
 * component that reports such events; call `flush()` at shutdown so no summary is lost.
 */
import type { Logger } from 'pino';

interface Pending {
  message: string;
  batches: number;
  items: number;
  lastError: unknown;
  fields: Readonly<Record<string, unknown>> | undefined;
}

/** A per-kind rate limit on warning lines. Memory grows with the number of kinds, a closed set per caller. */
export class ThrottledLog {
  private readonly lastLogMs = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  /**
   * Records one event of `kind` concerning `items` items. The line carries `reason: kind`,
   * `items`, `err` and `fields` (a summary line those of the last event held back).
   */
  note(kind: string, items: number, error: unknown, message: string, fields?: Readonly<Record<string, unknown>>): void {
    const now = Date.now();
    const last = this.lastLogMs.get(kind);
    if (last === undefined || now - last >= this.intervalMs) {
      this.lastLogMs.set(kind, now);
      this.logger.warn({ ...fields, reason: kind, items, err: error }, message);
      return;
    }
    const p = this.pending.get(kind);
    if (p) {
      p.batches++;
      p.items += items;
      p.lastError = error;
      p.message = message;
      p.fields = fields;
    } else {
      this.pending.set(kind, { message, batches: 1, items, lastError: error, fields });
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs - (now - last)).unref();
  }

  /** Logs the summaries held back so far and clears the timer (call at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    for (const [kind, p] of this.pending) {
      this.lastLogMs.set(kind, now);
      this.logger.warn(
        { ...p.fields, reason: kind, items: p.items, batches: p.batches, err: p.lastError },
        `${p.message} (${p.batches} more times since the last report)`,
      );
    }
    this.pending.clear();
  }
}
