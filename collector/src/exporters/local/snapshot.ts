/**
 * Optional persistence of the local store: a JSON snapshot written periodically and on shutdown
 * (to a temporary file, then renamed, so a crash mid-write leaves the previous snapshot), read
 * back on start. A missing file is an empty store; an unreadable one is logged and ignored — the
 * store is a convenience, never a reason not to start.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { CounterPoint, HistogramPoint } from './red.js';
import { Ring } from './ring.js';
import { EXEMPLARS_PER_SERIES, type ExemplarEntry, type LocalStore, POINTS_PER_SERIES, type SeriesEntry } from './store.js';

const VERSION = 1;

interface SeriesJson extends Omit<SeriesEntry, 'points' | 'exemplars' | 'stepT'> {
  points: ((Omit<HistogramPoint, 'buckets'> & { buckets: number[] }) | CounterPoint)[];
  exemplars: ReturnType<SeriesEntry['exemplars']['toArray']>;
}

interface SnapshotJson {
  version: number;
  savedAt: number;
  spans: ReturnType<LocalStore['spans']['toArray']>;
  logs: ReturnType<LocalStore['logs']['toArray']>;
  series: SeriesJson[];
}

/** The store as one JSON document. */
export function serialize(store: LocalStore, nowMs: number): string {
  const series: SeriesJson[] = [];
  for (const s of store.series.values()) {
    series.push({
      key: s.key,
      name: s.name,
      unit: s.unit,
      service: s.service,
      kind: s.kind,
      labels: s.labels,
      bounds: s.bounds,
      lastRx: s.lastRx,
      points: s.points.toArray().map((p) => ('buckets' in p ? { ...p, buckets: [...p.buckets] } : p)),
      exemplars: s.exemplars.toArray(),
    });
  }
  const doc: SnapshotJson = {
    version: VERSION,
    savedAt: nowMs,
    spans: store.spans.toArray(),
    logs: store.logs.toArray(),
    series,
  };
  return JSON.stringify(doc);
}

/** Loads a serialised store into `store` (which should be empty), within its limits. */
export function restore(store: LocalStore, text: string, nowMs: number): { spans: number; logs: number; series: number } {
  const doc = JSON.parse(text) as SnapshotJson;
  if (doc.version !== VERSION) throw new Error(`snapshot version ${doc.version} is not ${VERSION}`);
  for (const s of doc.spans) store.spans.push(s);
  for (const l of doc.logs) store.logs.push(l);
  const series = doc.series.slice(-store.limits.maxSeries);
  for (const j of series) {
    const points = new Ring<HistogramPoint | CounterPoint>(POINTS_PER_SERIES);
    for (const p of j.points) points.push('buckets' in p ? { ...p, buckets: Float64Array.from(p.buckets) } : p);
    const exemplars = new Ring<ExemplarEntry>(EXEMPLARS_PER_SERIES);
    for (const e of j.exemplars) exemplars.push(e);
    store.series.set(j.key, { ...j, points, exemplars, stepT: points.newest()?.t ?? Number.NEGATIVE_INFINITY });
  }
  store.prune(nowMs);
  return { spans: store.spans.size, logs: store.logs.size, series: store.series.size };
}

/** Writes the snapshot atomically. */
export async function saveSnapshot(store: LocalStore, path: string, nowMs: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, serialize(store, nowMs));
  await rename(tmp, path);
}

/** Reads the snapshot into `store`; undefined when there is no file. Throws on a corrupt one. */
export async function loadSnapshot(
  store: LocalStore,
  path: string,
  nowMs: number,
): Promise<{ spans: number; logs: number; series: number } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return restore(store, text, nowMs);
}
