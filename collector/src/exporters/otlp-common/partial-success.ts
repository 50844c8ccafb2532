/**
 * Counts the items a server rejected in a partial success as dropped, and logs the server's
 * message at most once per interval with the count since the last line (never per batch).
 */
import type { CreateSettings } from '../../component/component.js';
import type { PartialSuccess } from '../../model/otlp-codec.js';
import type { Signal } from '../../model/types.js';

/** Records partial successes for one exporter. */
export type PartialSuccessReporter = (signal: Signal, partial: PartialSuccess) => void;

/** A reporter that logs at most once per `intervalMs`. */
export function createPartialSuccessReporter(settings: CreateSettings, intervalMs = 10_000): PartialSuccessReporter {
  let lastLog = 0;
  let pending = 0;
  return (signal, partial) => {
    if (partial.rejected > 0) settings.telemetry.dropped(signal, partial.rejected, 'permanent_error');
    pending += partial.rejected;
    const now = Date.now();
    if (now - lastLog < intervalMs) return;
    lastLog = now;
    settings.logger.warn(
      { signal, rejected: pending, message: partial.errorMessage },
      'the server rejected part of the data (partial success)',
    );
    pending = 0;
  };
}
