/**
 * The stanza `timestamp` block: `layout_type` gotime | strptime | epoch. Layouts are compiled once
 * (at build time) into one RegExp plus setters, so the per-line cost is one `exec`. Written by
 * hand: no maintained JavaScript library parses Go reference layouts, and strptime libraries
 * differ from the ctimefmt dialect stanza uses.
 */

/** A parsed instant. */
export interface Instant {
  sec: number;
  nsec: number;
}

/** Parses one value into an instant; throws an Error with a short message when it does not fit. */
export type TimeParseFn = (value: unknown) => Instant;

interface Parts {
  year?: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nsec: number;
  pm?: boolean;
  offsetMin?: number;
  yday?: number;
}

type Setter = (p: Parts, s: string) => void;
interface Token {
  re: string;
  set?: Setter;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const monthShort: Token = { re: '([A-Za-z]{3})', set: (p, s) => void (p.month = MONTHS.indexOf(s.toLowerCase()) + 1) };
const monthLong: Token = {
  re: '([A-Za-z]{3,9})',
  set: (p, s) => void (p.month = MONTHS.indexOf(s.slice(0, 3).toLowerCase()) + 1),
};
const num = (digits: string, set: Setter): Token => ({ re: `(${digits})`, set });
const year4 = num('\\d{4}', (p, s) => void (p.year = Number(s)));
const year2 = num('\\d{2}', (p, s) => void (p.year = 2000 + Number(s) - (Number(s) >= 69 ? 100 : 0)));
const month2 = num('\\d{2}', (p, s) => void (p.month = Number(s)));
const month1 = num('\\d{1,2}', (p, s) => void (p.month = Number(s)));
const day2 = num('\\d{2}', (p, s) => void (p.day = Number(s)));
const day1 = num('\\d{1,2}', (p, s) => void (p.day = Number(s)));
const dayPad = num(' ?\\d{1,2}', (p, s) => void (p.day = Number(s.trim())));
const hour24 = num('\\d{2}', (p, s) => void (p.hour = Number(s)));
const hour12 = num('\\d{1,2}', (p, s) => void (p.hour = Number(s)));
const minute2 = num('\\d{2}', (p, s) => void (p.minute = Number(s)));
const minute1 = num('\\d{1,2}', (p, s) => void (p.minute = Number(s)));
const second2: Token = {
  // Go accepts a fractional second after the seconds even when the layout has none.
  re: '(\\d{2}(?:[.,]\\d{1,9})?)',
  set: (p, s) => {
    p.second = Number(s.slice(0, 2));
    if (s.length > 3) p.nsec = fraction(s.slice(3));
  },
};
const second1: Token = { re: '(\\d{1,2})', set: (p, s) => void (p.second = Number(s)) };
const frac = (digits: string): Token => ({ re: `[.,](\\d${digits})`, set: (p, s) => void (p.nsec = fraction(s)) });
// Optional fraction; Go's seconds token may already have taken it, so an empty match keeps it.
const optFrac: Token = {
  re: '(?:[.,](\\d{1,9}))?',
  set: (p, s) => {
    if (s) p.nsec = fraction(s);
  },
};
const ampm: Token = { re: '([AaPp][Mm])', set: (p, s) => void (p.pm = s.toLowerCase() === 'pm') };
const weekday: Token = { re: '[A-Za-z]{3,9}' };
const zoneName: Token = {
  re: '([A-Za-z]{1,5})',
  set: (p, s) => {
    if (s === 'UTC' || s === 'GMT' || s === 'Z') p.offsetMin = 0;
  },
};
const offset = (re: string): Token => ({ re: `(${re})`, set: (p, s) => void (p.offsetMin = parseOffset(s)) });
const yday: Token = { re: '(\\d{3})', set: (p, s) => void (p.yday = Number(s)) };

function fraction(digits: string): number {
  return Number((digits + '000000000').slice(0, 9));
}

function parseOffset(s: string): number {
  if (s === 'Z' || s === 'z') return 0;
  const sign = s[0] === '-' ? -1 : 1;
  const d = s.slice(1).replace(/:/g, '');
  return sign * (Number(d.slice(0, 2)) * 60 + Number(d.slice(2, 4) || '0'));
}

// Go's reference-time tokens, longest first so "2006" wins over "2" and "January" over "Jan".
const GO_TOKENS: [string, Token][] = [
  ['January', monthLong],
  ['Monday', weekday],
  ['Z07:00', offset('Z|[+-]\\d{2}:\\d{2}')],
  ['-07:00', offset('[+-]\\d{2}:\\d{2}')],
  ['Z0700', offset('Z|[+-]\\d{4}')],
  ['-0700', offset('[+-]\\d{4}')],
  ['2006', year4],
  ['Z07', offset('Z|[+-]\\d{2}')],
  ['-07', offset('[+-]\\d{2}')],
  ['Jan', monthShort],
  ['Mon', weekday],
  ['MST', zoneName],
  ['002', yday],
  ['_2', dayPad],
  ['01', month2],
  ['02', day2],
  ['03', num('\\d{2}', (p, s) => void (p.hour = Number(s)))],
  ['04', minute2],
  ['05', second2],
  ['06', year2],
  ['15', hour24],
  ['PM', ampm],
  ['pm', ampm],
  ['1', month1],
  ['2', day1],
  ['3', hour12],
  ['4', minute1],
  ['5', second1],
];

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileGo(layout: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  outer: while (i < layout.length) {
    // Fractions: ".000", ",000" (exact digits) or ".999" (optional, any digits).
    const f = /^[.,](0+|9+)/.exec(layout.slice(i));
    if (f && out.length > 0) {
      out.push(f[1][0] === '0' ? frac(`{${f[1].length}}`) : optFrac);
      i += f[0].length;
      continue;
    }
    for (const [tok, t] of GO_TOKENS) {
      if (layout.startsWith(tok, i)) {
        out.push(t);
        i += tok.length;
        continue outer;
      }
    }
    out.push({ re: escapeRe(layout[i]) });
    i++;
  }
  return out;
}

// The strptime directives of the ctimefmt dialect stanza uses.
const STRPTIME: Record<string, Token | string> = {
  Y: year4,
  y: year2,
  m: month2,
  o: month1,
  q: month1,
  b: monthShort,
  h: monthShort,
  B: monthLong,
  d: day2,
  e: dayPad,
  a: weekday,
  A: weekday,
  H: hour24,
  I: num('\\d{2}', (p, s) => void (p.hour = Number(s))),
  l: hour12,
  p: ampm,
  M: minute2,
  S: num('\\d{2}', (p, s) => void (p.second = Number(s))),
  L: num('\\d{3}', (p, s) => void (p.nsec = fraction(s))),
  f: num('\\d{1,9}', (p, s) => void (p.nsec = fraction(s))),
  s: num('\\d{9}', (p, s) => void (p.nsec = fraction(s))),
  Z: zoneName,
  z: offset('Z|[+-]\\d{2}:?\\d{2}'),
  i: offset('[+-]\\d{2}'),
  j: offset('[+-]\\d{2}:\\d{2}'),
  D: '%m/%d/%y',
  F: '%Y-%m-%d',
  T: '%H:%M:%S',
  r: '%I:%M:%S %p',
  c: '%a %b %e %H:%M:%S %Y',
  x: '%m/%d/%y',
  X: '%H:%M:%S',
  n: '\n',
  t: '\t',
  '%': '%',
};

function compileStrptime(layout: string, depth = 0): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < layout.length; i++) {
    const ch = layout[i];
    if (ch !== '%') {
      out.push({ re: escapeRe(ch) });
      continue;
    }
    const d = layout[++i];
    const t = d === undefined ? undefined : STRPTIME[d];
    if (t === undefined) throw new Error(`unsupported strptime directive %${d ?? ''}`);
    if (typeof t === 'string') {
      if (t.startsWith('%') && t.length > 1 && depth === 0) out.push(...compileStrptime(t, 1));
      else out.push({ re: escapeRe(t) });
    } else out.push(t);
  }
  return out;
}

function zoneOffsetMinutes(timeZone: string, utcMs: number): number {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts = Object.fromEntries(dtf.formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

function compilePattern(tokens: Token[], location: string | undefined, utcDefault: boolean): TimeParseFn {
  const re = new RegExp(`^${tokens.map((t) => t.re).join('')}$`);
  const setters = tokens.filter((t) => t.set && t.re.includes('(')).map((t) => t.set as Setter);
  if (location !== undefined && location !== 'UTC' && location !== 'Local') {
    zoneOffsetMinutes(location, Date.now()); // throws RangeError on an unknown zone: a config error
  }
  return (value) => {
    if (typeof value !== 'string') throw new Error(`type ${typeof value} cannot be parsed as a time`);
    const m = re.exec(value);
    if (!m) throw new Error(`value ${JSON.stringify(value.slice(0, 64))} does not match the layout`);
    const p: Parts = { month: 1, day: 1, hour: 0, minute: 0, second: 0, nsec: 0 };
    for (let i = 0; i < setters.length; i++) setters[i](p, m[i + 1] ?? '');
    if (p.pm !== undefined) p.hour = (p.hour % 12) + (p.pm ? 12 : 0);
    const now = new Date();
    let year = p.year;
    if (year === undefined) year = now.getUTCFullYear();
    if (p.month < 1 || p.month > 12) throw new Error('month out of range');
    let utc = Date.UTC(year, p.month - 1, p.day, p.hour, p.minute, p.second);
    if (p.yday !== undefined) utc = Date.UTC(year, 0, p.yday, p.hour, p.minute, p.second);
    let ms: number;
    if (p.offsetMin !== undefined) ms = utc - p.offsetMin * 60_000;
    else if (location === 'UTC' || (location === undefined && utcDefault)) ms = utc;
    else if (location === undefined || location === 'Local') {
      ms = new Date(year, p.month - 1, p.day, p.hour, p.minute, p.second).getTime();
    } else ms = utc - zoneOffsetMinutes(location, utc) * 60_000;
    // A layout without a year: stanza picks this year, or last year when that lands >7 days ahead.
    if (p.year === undefined && ms > now.getTime() + 7 * 86_400_000) {
      return compileYearBack(ms, p.nsec);
    }
    return { sec: Math.floor(ms / 1000), nsec: p.nsec };
  };
}

function compileYearBack(ms: number, nsec: number): Instant {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  return { sec: Math.floor(d.getTime() / 1000), nsec };
}

const EPOCH_LAYOUTS = ['s', 'ms', 'us', 'ns', 's.ms', 's.us', 's.ns'] as const;
/** The `epoch` layouts stanza accepts. */
export type EpochLayout = (typeof EPOCH_LAYOUTS)[number];

function compileEpoch(layout: EpochLayout): TimeParseFn {
  const unit = (layout.includes('.') ? 's' : layout) as 's' | 'ms' | 'us' | 'ns';
  const scale = { s: 1, ms: 1e3, us: 1e6, ns: 1e9 }[unit] as number;
  return (value) => {
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    const m = typeof text === 'string' ? /^(-?\d+)(?:\.(\d+))?$/.exec(text) : null;
    if (!m) throw new Error(`value ${JSON.stringify(String(value).slice(0, 64))} is not an epoch ${layout}`);
    // Integer arithmetic on the digits: floats would turn 1714557600123 ms into ...122999907 ns.
    if (m[1].length > 15) {
      const big = BigInt(m[1]);
      const s = big / BigInt(scale);
      return { sec: Number(s), nsec: Number((big - s * BigInt(scale)) * BigInt(1e9 / scale)) };
    }
    const int = Number(m[1]);
    const sec = Math.floor(int / scale);
    let nsec = (int - sec * scale) * (1e9 / scale);
    if (m[2]) nsec += Math.round(Number(`0.${m[2]}`) * (1e9 / scale));
    return { sec, nsec };
  };
}

/** Options of a `timestamp` block, already validated by the schema. */
export interface TimeLayoutOptions {
  layout_type: 'strptime' | 'gotime' | 'epoch';
  layout: string;
  location?: string | undefined;
}

/** Compiles a layout; throws an Error (turned into a config error) when it is invalid. */
export function compileTimeLayout(o: TimeLayoutOptions): TimeParseFn {
  if (o.layout_type === 'epoch') {
    if (!(EPOCH_LAYOUTS as readonly string[]).includes(o.layout)) {
      throw new Error(`invalid layout ${JSON.stringify(o.layout)} for epoch; use one of ${EPOCH_LAYOUTS.join(', ')}`);
    }
    return compileEpoch(o.layout as EpochLayout);
  }
  const tokens = o.layout_type === 'gotime' ? compileGo(o.layout) : compileStrptime(o.layout);
  return compilePattern(tokens, o.location, o.layout.endsWith('Z'));
}
