/**
 * The stanza `severity` block: a value (number or text) looked up in a mapping built from a
 * preset plus the user's `mapping`. Severity numbers are OpenTelemetry's (1 TRACE .. 24 FATAL4).
 */

const NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** The OpenTelemetry short name of a severity number (`INFO`, `WARN3`); '' for 0. */
export function severityName(n: number): string {
  if (n < 1 || n > 24) return '';
  const base = NAMES[Math.floor((n - 1) / 4)];
  const step = (n - 1) % 4;
  return step === 0 ? base : `${base}${step + 1}`;
}

/** Severity number of a name (`info`, `warn2`, also a number as text); undefined when unknown. */
function severityOf(name: string): number | undefined {
  const lower = name.toLowerCase();
  if (/^\d+$/.test(lower)) {
    const n = Number(lower);
    return n >= 1 && n <= 24 ? n : undefined;
  }
  const m = /^(trace|debug|info|warn|error|fatal)([234])?$/.exec(lower);
  if (!m) return undefined;
  return NAMES.indexOf(m[1].toUpperCase()) * 4 + 1 + (m[2] ? Number(m[2]) - 1 : 0);
}

/** pino's numeric levels and their labels. */
export const PINO_LEVELS: Readonly<Record<number, { number: number; text: string }>> = {
  10: { number: 1, text: 'trace' },
  20: { number: 5, text: 'debug' },
  30: { number: 9, text: 'info' },
  40: { number: 13, text: 'warn' },
  50: { number: 17, text: 'error' },
  60: { number: 21, text: 'fatal' },
};

/** The severity presets: the Collector's three, plus Stitch's `pino` (numbers 10..60). */
export const SEVERITY_PRESETS = ['default', 'otel', 'aliases', 'none', 'pino'] as const;

function preset(name: (typeof SEVERITY_PRESETS)[number]): Map<string, number> {
  const m = new Map<string, number>();
  if (name === 'none') return m;
  for (let n = 1; n <= 24; n++) {
    m.set(severityName(n).toLowerCase(), n);
    m.set(String(n), n);
  }
  if (name === 'otel' || name === 'aliases') return m;
  for (let i = 0; i < 4; i++) {
    const suffix = i === 0 ? '' : String(i + 1);
    m.set(`warning${suffix}`, 13 + i);
    m.set(`err${suffix}`, 17 + i);
  }
  if (name === 'pino') for (const [k, v] of Object.entries(PINO_LEVELS)) m.set(k, v.number);
  return m;
}

type MappingValue = string | number | { min: number; max: number };

function expand(v: MappingValue): string[] {
  if (typeof v === 'number') return [String(v)];
  if (typeof v === 'string') {
    const http = /^([2-5])xx$/.exec(v);
    if (http) return range(Number(http[1]) * 100, Number(http[1]) * 100 + 99);
    return [v.toLowerCase()];
  }
  return range(Math.min(v.min, v.max), Math.max(v.min, v.max));
}

function range(a: number, b: number): string[] {
  const out: string[] = [];
  for (let i = a; i <= b; i++) out.push(String(i));
  return out;
}

/** A compiled severity lookup. */
export interface SeverityLookup {
  /** Number and text for a raw value; throws for values that cannot be a severity. */
  find(value: unknown): { number: number; text: string };
}

/** Options of a `severity` block (parse_from is handled by the caller). */
export interface SeverityOptions {
  preset: (typeof SEVERITY_PRESETS)[number];
  mapping?: Record<string, MappingValue | MappingValue[]> | undefined;
  overwrite_text: boolean;
}

/** Builds the lookup; throws an Error (a config error) on an unknown severity name in `mapping`. */
export function compileSeverity(o: SeverityOptions): SeverityLookup {
  const map = preset(o.preset);
  for (const [name, values] of Object.entries(o.mapping ?? {})) {
    const sev = severityOf(name);
    if (sev === undefined) throw new Error(`unknown severity ${JSON.stringify(name)} in mapping`);
    for (const v of Array.isArray(values) ? values : [values]) for (const key of expand(v)) map.set(key, sev);
  }
  return {
    find(value) {
      let key: string;
      if (typeof value === 'number') {
        if (!Number.isInteger(value)) throw new Error('a severity number must be a whole number');
        key = String(value);
      } else if (typeof value === 'string') key = value;
      else throw new Error(`type ${value === null ? 'null' : typeof value} cannot be a severity`);
      const n = map.get(key.toLowerCase()) ?? 0;
      return { number: n, text: o.overwrite_text && n !== 0 ? severityName(n) : key };
    },
  };
}
