/**
 * Test helpers for the filelog receiver: a `/var/log/pods`-shaped temporary tree, line
 * formatters for the three container runtimes, and a flat view of received records.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nanosToString } from '../../model/time.js';
import type { LogsData } from '../../model/types.js';
import { type AttributeValue, anyValueToJs, attributesToObject, idToHex } from '../../model/values.js';

/** A temporary root with `var/log/pods` inside; `remove()` deletes it. */
export async function podsTree(): Promise<{
  root: string;
  pods: string;
  podDir(ns: string, pod: string, uid: string, container: string): Promise<string>;
  remove(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'stitch-filelog-'));
  const pods = join(root, 'var', 'log', 'pods');
  await mkdir(pods, { recursive: true });
  return {
    root,
    pods,
    async podDir(ns, pod, uid, container) {
      const dir = join(pods, `${ns}_${pod}_${uid}`, container);
      await mkdir(dir, { recursive: true });
      return dir;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** A containerd line (`Z` time). */
export function containerdLine(
  log: string,
  tag: 'P' | 'F' = 'F',
  stream = 'stdout',
  time = '2024-05-01T10:00:00.123456789Z',
): string {
  return `${time} ${stream} ${tag} ${log}\n`;
}

/** A CRI-O line (time with an offset). */
export function crioLine(log: string, tag: 'P' | 'F' = 'F', stream = 'stdout', time = '2024-05-01T12:00:00.5+02:00'): string {
  return `${time} ${stream} ${tag} ${log}\n`;
}

/** A docker json-file line; `partial` leaves out the trailing "\n" of `log`. */
export function dockerLine(log: string, partial = false, stream = 'stdout', time = '2024-05-01T10:00:00.000000001Z'): string {
  return `${JSON.stringify({ log: partial ? log : `${log}\n`, stream, time })}\n`;
}

/** One received record, flattened. */
export interface FlatRecord {
  body: AttributeValue;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  time: string;
  severityNumber: number;
  severityText: string;
  traceId: string;
  spanId: string;
  flags: number;
}

/** Every record of every batch, in order. */
export function flatten(batches: readonly LogsData[]): FlatRecord[] {
  const out: FlatRecord[] = [];
  for (const b of batches) {
    for (const rl of b.resourceLogs) {
      const resource = attributesToObject(rl.resource?.attributes);
      for (const sl of rl.scopeLogs) {
        for (const r of sl.logRecords) {
          out.push({
            body: anyValueToJs(r.body),
            attributes: attributesToObject(r.attributes),
            resource,
            time: nanosToString(r.timeUnixNano),
            severityNumber: r.severityNumber ?? 0,
            severityText: r.severityText ?? '',
            traceId: idToHex(r.traceId),
            spanId: idToHex(r.spanId),
            flags: r.flags ?? 0,
          });
        }
      }
    }
  }
  return out;
}
