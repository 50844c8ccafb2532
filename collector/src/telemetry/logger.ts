import { type LevelWithSilent, type Logger, pino } from 'pino';

/** The collector's log levels, as `service.telemetry.logs.level` accepts them (the Collector's names). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The collector's own logger: pino JSON on stderr (stdout stays free for the `debug` exporter),
 * at the configured level. Components get children with `kind` and `component_id` bound.
 * Authorization headers and tokens are redacted wherever they appear.
 */
export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: level as LevelWithSilent,
      base: { service: 'stitch' },
      redact: {
        paths: ['headers.authorization', 'headers.Authorization', '*.headers.authorization', 'token', '*.token', 'bearer_token'],
        censor: '[REDACTED]',
      },
    },
    (destination as pino.DestinationStream | undefined) ?? pino.destination({ fd: 2, sync: false }),
  );
}
