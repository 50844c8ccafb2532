/**
 * Building blocks for component config schemas (zod). One schema per component gives both the
 * TypeScript type (`z.output<typeof schema>`) and the runtime check; objects are strict so an
 * unknown key is an error, and every option carries the OpenTelemetry Collector's default.
 *
 * Conventions: YAML keys stay exactly as the Collector spells them (snake_case); durations are
 * written as Go duration strings ("5s", "1m30s", "200ms") and parsed to milliseconds; byte sizes
 * stay integers of bytes, MiB options stay MiB as named.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/**
 * Parses a Go duration string ("300ms", "1.5h", "2h45m") to milliseconds; "0" is zero.
 * Returns undefined when the string is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!DURATION_RE.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(PART_RE)) ms += Number(m[1]) * (UNIT_MS[m[2]] as number);
  return s.startsWith('-') ? -ms : ms;
}

function durationBase() {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === 'number') {
      // The Collector's decoder reads a bare integer as nanoseconds.
      return value / 1e6;
    }
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "5s", "200ms" or "1m30s", got "${value}"` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A required duration option: a Go duration string in YAML, milliseconds in the parsed config. */
export function requiredDuration() {
  return durationBase();
}

/** A duration option with a default: a Go duration string in YAML, milliseconds once parsed. */
export function duration(defaultValue: string) {
  const ms = parseDuration(defaultValue);
  if (ms === undefined) throw new Error(`bad default duration ${defaultValue}`);
  return durationBase().default(ms);
}

/** `host:port` or `:port` or `[::1]:port`, as the Collector's `endpoint` options take. */
export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'expected "host:port" such as "127.0.0.1:4318" or ":4318"')
  .refine((s) => !(Number(s.slice(s.lastIndexOf(':') + 1)) > 65535), 'the port must be between 0 and 65535');

/** An http(s) URL. */
export const httpUrl = z
  .string()
  .refine(
    (s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s),
    'must be an http(s) URL such as "http://loki:3100/loki/api/v1/push"',
  );

/** Header maps (`headers:`), string values only. */
export const headers = z.record(z.string(), z.string()).default({});

/** TLS settings for servers (the Collector's configtls.ServerConfig subset Stitch supports). */
export const tlsServerSchema = z.strictObject({
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  ca_file: z.string().optional(),
  client_ca_file: z.string().optional(),
  min_version: z.enum(['1.2', '1.3']).default('1.2'),
});

/** TLS settings for clients (configtls.ClientConfig). */
export const tlsClientSchema = z
  .strictObject({
    insecure: z.boolean().default(false),
    insecure_skip_verify: z.boolean().default(false),
    ca_file: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    server_name_override: z.string().optional(),
    min_version: z.enum(['1.2', '1.3']).default('1.2'),
  })
  .prefault({});

/** `auth: { authenticator: <extension id> }` on a server or client. */
export const authSchema = z.strictObject({ authenticator: z.string() });

/** The parsed type of a schema. */
export type Infer<T extends z.ZodType> = z.output<T>;

export { z };
