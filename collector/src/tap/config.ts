import { hostPort, type Infer, z } from '../config/schema.js';

/** The tap endpoint's default address: loopback, next to health_check's 13133. */
export const DEFAULT_TAP_ENDPOINT = '127.0.0.1:13134';

/** True for a loopback host: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The `tap` extension's options (Stitch-only; it lives under `extensions:` so OpenTelemetry
 * Collector configs stay valid). The endpoint must be loopback: tapped data is not redacted.
 */
export const tapConfigSchema = z.strictObject({
  /** Where `stitch tap` connects. */
  endpoint: hostPort.default(DEFAULT_TAP_ENDPOINT).refine((e) => isLoopbackHost(e.slice(0, e.lastIndexOf(':'))), {
    message: 'must be a loopback address (127.0.0.1, ::1 or localhost): tapped data is not redacted',
  }),
  /** Most concurrent taps; more are refused with 503. */
  max_subscribers: z.number().int().min(1).default(8),
});

/** The parsed tap config. */
export type TapConfig = Infer<typeof tapConfigSchema>;
