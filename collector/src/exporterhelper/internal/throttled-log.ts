/**
 * Logs repeated events (drops, give-ups) at most once per interval per kind: the first one at
 * once, then one summary line with the totals when the interval ends. Never a line per item.
 */
import type { Logger } from 'pino';

interface Pending {
  message: string;
  batches: number;
  items: number;
  lastError: unknown;
}

/** A per-kind rate limit on warning lines. */
export class ThrottledLog {
  private readonly lastLogMs = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  /** Records one event of `kind` concerning `items` items. */
  note(kind: string, items: number, error: unknown, message: string): void {
    const now = Date.now();
    const last = this.lastLogMs.get(kind);
    if (last === undefined || now - last >= this.intervalMs) {
      this.lastLogMs.set(kind, now);
      this.logger.warn({ reason: kind, items, err: error }, message);
      return;
    }
    const p = this.pending.get(kind);
    if (p) {
      p.batches++;
      p.items += items;
      p.lastError = error;
      p.message = message;
    } else {
      this.pending.set(kind, { message, batches: 1, items, lastError: error });
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs - (now - last)).unref();
  }

  /** Logs the summaries held back so far. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    for (const [kind, p] of this.pending) {
      this.lastLogMs.set(kind, now);
      this.logger.warn(
        { reason: kind, items: p.items, batches: p.batches, err: p.lastError },
        `${p.message} (${p.batches} more times since the last report)`,
      );
    }
    this.pending.clear();
  }
}
