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

const CRI = /^(\S+) (stdout|stderr) ([^ ]*) ?(.*)$/s;
const PATH = /^.*[/\\](?<namespace>[^_]+)_(?<pod>[^_]+)_(?<uid>[a-f0-9-]+)[/\\](?<container>[^._]+)[/\\](?<restart>\d+)\.log$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

interface Held {
  entry: Entry;
  parts: string[];
  size: number;
  start: number;
  sinceMs: number;
}

/**
 * Parses an RFC 3339 time with up to nanoseconds. The seconds of the previous call are cached:
 * consecutive lines of a file share them, which saves the Date.UTC call on most lines.
 */
function createTimeParser() {
  let lastPrefix = '';
  let lastSec = 0;
  return (s: string): { sec: number; nsec: number } => {
    const m = RFC3339.exec(s);
    if (!m) throw new Error(`time ${JSON.stringify(s.slice(0, 40))} is not RFC 3339`);
    const prefix = s.slice(0, 19) + m[8];
    let sec: number;
    if (prefix === lastPrefix) sec = lastSec;
    else {
      sec = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
      const z = m[8];
      if (z !== 'Z') sec -= (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 3600 + Number(z.slice(4, 6)) * 60);
      lastPrefix = prefix;
      lastSec = sec;
    }
    const frac = m[7];
    return { sec, nsec: frac ? Number((frac + '00000000').slice(0, 9)) : 0 };
  };
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
        const m = CRI.exec(line);
        if (!m) throw new Error('line is neither docker JSON nor a CRI log line');
        if (c.format === 'containerd' && !m[1].endsWith('Z')) throw new Error('containerd time must end in Z');
        const t = parseTime(m[1]);
        entry.timeSec = t.sec;
        entry.timeNsec = t.nsec;
        attrs['log.iostream'] = m[2];
        attrs.logtag = m[3];
        partial = m[3] === 'P';
        log = m[4];
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
