/**
 * Counts the items a server rejected in a partial success as dropped, and logs the server's
 * message at most once per interval with the count since the last line (never per batch).
 */
import type { CreateSettings } from '../../component/component.js';
import { ThrottledLog } from '../../internal/throttled-log.js';
import type { PartialSuccess } from '../../model/otlp-codec.js';
import type { Signal } from '../../model/types.js';

/** Records partial successes for one exporter. */
export interface PartialSuccessReporter {
  /** Counts `partial.rejected` as dropped; logs the server's message, rate-limited. */
  report(signal: Signal, partial: PartialSuccess): void;
  /** Logs what the rate limit held back; call at shutdown. */
  flush(): void;
}

/** A reporter that logs at most once per `intervalMs`. */
export function createPartialSuccessReporter(settings: CreateSettings, intervalMs = 10_000): PartialSuccessReporter {
  const log = new ThrottledLog(settings.logger, intervalMs);
  return {
    report(signal, partial) {
      if (partial.rejected > 0) settings.telemetry.dropped(signal, partial.rejected, 'permanent_error');
      log.note('partial_success', partial.rejected, undefined, 'the server rejected part of the data (partial success)', {
        signal,
        message: partial.errorMessage,
      });
    },
    flush: () => log.flush(),
  };
}
