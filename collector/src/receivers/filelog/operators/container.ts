/**
 * The `container` parser: docker JSON lines and CRI lines (`<time> <stream> <P|F> <log>`, written
 * by containerd and CRI-O), detected per line unless `format` is set. CRI partial lines (`P`) and
 * docker partial lines (no trailing "\n") are joined until the final one, up to `max_log_size`.
 * `k8s.*` resource attributes come from the kubelet's path
 * `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log`.
 */
import type { Entry } from '../entry.js';
import type { ContainerConfig } from './config.js';
import type { Emit, LineContext, Operator, OperatorStats } from './operator.js';

/** The CRI line format; {@link splitCri} implements it by position and falls back to it. */
export const CRI = /^(\S+) (stdout|stderr) ([^ ]*) ?(.*)$/s;
const PATH = /^.*[/\\](?<namespace>[^_]+)_(?<pod>[^_]+)_(?<uid>[a-f0-9-]+)[/\\](?<container>[^._]+)[/\\](?<restart>\d+)\.log$/;
/** The accepted time format; {@link createTimeParser} implements it by position. */
export const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

interface Held {
  entry: Entry;
  parts: string[];
  size: number;
  start: number;
  sinceMs: number;
}

/** The value of the `count` decimal digits at s[at…], or -1 when one of them is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Parses an RFC 3339 time with up to nanoseconds (`YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`, the
 * {@link RFC3339} pattern) by character position: a regular expression per line cost ~7% of the
 * filelog receiver (bench/filelog.mjs). The seconds of the previous call are cached: consecutive
 * lines of a file share them, which saves the Date.UTC call on most lines.
 */
export function createTimeParser() {
  let lastHead = '';
  let lastZone = '';
  let lastSec = 0;
  const fail = (s: string): never => {
    throw new Error(`time ${JSON.stringify(s.slice(0, 40))} is not RFC 3339`);
  };
  return (s: string): { sec: number; nsec: number } => {
    const n = s.length;
    if (
      n < 20 ||
      s.charCodeAt(4) !== 45 || // -
      s.charCodeAt(7) !== 45 ||
      s.charCodeAt(10) !== 84 || // T
      s.charCodeAt(13) !== 58 || // :
      s.charCodeAt(16) !== 58
    ) {
      return fail(s);
    }
    let i = 19;
    let nsec = 0;
    if (s.charCodeAt(i) === 46 /* . */) {
      const start = ++i;
      while (i < n && i - start < 9) {
        const d = s.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        nsec = nsec * 10 + d;
        i++;
      }
      if (i === start) return fail(s);
      for (let k = i - start; k < 9; k++) nsec *= 10;
    }
    // Zone: Z, or ±HH:MM, then the end of the string.
    const zoneStart = i;
    const z = s.charCodeAt(i);
    let offset = 0;
    if (z === 90 /* Z */ && n === i + 1) offset = 0;
    else if ((z === 43 || z === 45) && n === i + 6 && s.charCodeAt(i + 3) === 58) {
      const hh = digits(s, i + 1, 2);
      const mm = digits(s, i + 4, 2);
      if (hh < 0 || mm < 0) return fail(s);
      offset = (z === 45 ? -1 : 1) * (hh * 3600 + mm * 60);
    } else return fail(s);
    let sec: number;
    if (lastHead !== '' && s.startsWith(lastHead) && s.endsWith(lastZone) && n - zoneStart === lastZone.length) sec = lastSec;
    else {
      const y = digits(s, 0, 4);
      const mo = digits(s, 5, 2);
      const d = digits(s, 8, 2);
      const h = digits(s, 11, 2);
      const mi = digits(s, 14, 2);
      const se = digits(s, 17, 2);
      if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return fail(s);
      sec = Date.UTC(y, mo - 1, d, h, mi, se) / 1000 - offset;
      lastHead = s.slice(0, 19);
      lastZone = s.slice(zoneStart);
      lastSec = sec;
    }
    return { sec, nsec };
  };
}

/** A CRI line split into its fields; {@link splitCri} reuses one object. */
export interface CriFields {
  time: string;
  stream: string;
  tag: string;
  log: string;
}

const criOut: CriFields = { time: '', stream: '', tag: '', log: '' };

/**
 * Splits a CRI log line (`<time> <stdout|stderr> <tag> <log>`) as the {@link CRI} pattern does,
 * by position (the pattern cost ~4% of the filelog receiver); undefined when it does not match.
 * The returned object is reused by the next call.
 */
export function splitCri(line: string): CriFields | undefined {
  // `\S+ `: the time runs to the first whitespace, which must be a space.
  let sp = 0;
  const n = line.length;
  for (; sp < n; sp++) {
    const c = line.charCodeAt(sp);
    if (c === 32 || (c >= 9 && c <= 13)) break; // \s in ASCII
    if (c > 127) {
      // Unicode whitespace is rare in a time field: let the pattern decide.
      const m = CRI.exec(line);
      if (!m) return undefined;
      criOut.time = m[1] as string;
      criOut.stream = m[2] as string;
      criOut.tag = m[3] as string;
      criOut.log = m[4] as string;
      return criOut;
    }
  }
  if (sp === 0 || sp === n || line.charCodeAt(sp) !== 32) return undefined;
  let stream: string;
  if (line.startsWith('stdout', sp + 1)) stream = 'stdout';
  else if (line.startsWith('stderr', sp + 1)) stream = 'stderr';
  else return undefined;
  const tagStart = sp + 8;
  if (tagStart > n || line.charCodeAt(sp + 7) !== 32) return undefined;
  const tagEnd = line.indexOf(' ', tagStart);
  criOut.time = line.slice(0, sp);
  criOut.stream = stream;
  if (tagEnd === -1) {
    criOut.tag = line.slice(tagStart);
    criOut.log = '';
  } else {
    criOut.tag = line.slice(tagStart, tagEnd);
    criOut.log = line.slice(tagEnd + 1);
  }
  return criOut;
}

/** Builds the container parser; `receiverMaxLogSize` applies when the operator's own is 0. */
export function createContainerParser(c: ContainerConfig, receiverMaxLogSize: number): Operator {
  const maxSize = c.max_log_size > 0 ? c.max_log_size : receiverMaxLogSize;
  const parseTime = createTimeParser();
  const held = new Map<object, Held>();
  const metadata = new Map<string, Record<string, string> | null>();

  const pathMetadata = (path: string): Record<string, string> | null => {
    let md = metadata.get(path);
    if (md === undefined) {
      const g = PATH.exec(path)?.groups;
      md = g
        ? {
            'k8s.namespace.name': g.namespace,
            'k8s.pod.name': g.pod,
            'k8s.pod.uid': g.uid,
            'k8s.container.name': g.container,
            'k8s.container.restart_count': g.restart,
          }
        : null;
      if (metadata.size > 10_000) metadata.clear(); // bounded: paths churn as pods come and go
      metadata.set(path, md);
    }
    return md;
  };

  const finish = (h: Held, emit: Emit, stats: OperatorStats) => {
    let body = h.parts.length === 1 ? h.parts[0] : h.parts.join('');
    if (body.length > maxSize) {
      body = body.slice(0, maxSize);
      stats.truncated++;
    }
    h.entry.body = body;
    emit(h.entry);
  };

  return {
    id: c.id ?? 'container',
    onError: c.on_error,
    process(entry, ctx: LineContext, emit, stats) {
      const line = entry.body;
      if (typeof line !== 'string') throw new Error('body is not a string');
      let format = c.format;
      if (format === undefined) format = line.charCodeAt(0) === 123 /* { */ ? 'docker' : 'crio';
      let log: string;
      let partial: boolean;
      const attrs = entry.attributes;
      if (format === 'docker') {
        const d = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
        if (typeof d.log !== 'string' || typeof d.time !== 'string') throw new Error('not a docker json-file line');
        const t = parseTime(d.time);
        entry.timeSec = t.sec;
        entry.timeNsec = t.nsec;
        partial = !d.log.endsWith('\n');
        log = partial ? d.log : d.log.slice(0, d.log.length - 1);
        if (typeof d.stream === 'string') attrs['log.iostream'] = d.stream;
      } else {
        const m = splitCri(line);
        if (!m) throw new Error('line is neither docker JSON nor a CRI log line');
        if (c.format === 'containerd' && !m.time.endsWith('Z')) throw new Error('containerd time must end in Z');
        const t = parseTime(m.time);
        entry.timeSec = t.sec;
        entry.timeNsec = t.nsec;
        attrs['log.iostream'] = m.stream;
        attrs.logtag = m.tag;
        partial = m.tag === 'P';
        log = m.log;
      }
      if (c.add_metadata_from_filepath) {
        const md = pathMetadata(ctx.filePath);
        if (md) Object.assign(entry.resource, md);
        else stats.errors.set(this.id, (stats.errors.get(this.id) ?? 0) + 1); // still emitted
      }
      const h = held.get(ctx.source);
      if (!partial && !h) {
        entry.body = log;
        emit(entry);
        return;
      }
      if (h) {
        h.parts.push(log);
        h.size += log.length;
        if (!partial) h.entry.attributes.logtag = attrs.logtag ?? h.entry.attributes.logtag;
      } else {
        held.set(ctx.source, { entry, parts: [log], size: log.length, start: ctx.lineStart, sinceMs: Date.now() });
      }
      const cur = held.get(ctx.source) as Held;
      if (!partial || cur.size >= maxSize) {
        held.delete(ctx.source);
        finish(cur, emit, stats);
      }
    },
    pendingStart(source) {
      return held.get(source)?.start;
    },
    flush(source, emit, stats, olderThanMs) {
      const h = held.get(source);
      if (!h) return;
      if (olderThanMs !== undefined && Date.now() - h.sinceMs < olderThanMs) return;
      held.delete(source);
      finish(h, emit, stats);
    },
  };
}
