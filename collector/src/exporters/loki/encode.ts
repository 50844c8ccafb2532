/**
 * Loki push bodies: mapped streams are sorted by timestamp, split into requests bounded by bytes,
 * and encoded as `logproto.PushRequest` protobuf with block snappy (Loki's default) or as Loki's
 * JSON push format (`{"streams":[{"stream":{…},"values":[["<ns>","line",{…}]]}]}`), optionally
 * gzipped.
 */

import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { EncodeArena } from '../../internal/encode-arena.js';
import { compressBodySync } from '../../model/remote-write/snappy.js';
import { type ConvertedLogs, type LokiEntry, type MetadataPair, nanosString } from './convert.js';
import type { Label } from './labels.js';
import { encodePushRequest } from './push-encode.js';

const gzip = promisify(gzipCb);

/** A stream's slice of entries inside one request. */
export interface PlannedStream {
  readonly selector: string;
  readonly labels: readonly Label[];
  readonly entries: LokiEntry[];
}

/** One push request before encoding: one tenant, at most `maxBytes` (estimated). */
export interface PlannedRequest {
  readonly tenant: string | undefined;
  readonly streams: PlannedStream[];
  lines: number;
  bytes: number;
}

/**
 * Sorts each stream's entries by timestamp (stable, so equal timestamps keep arrival order) and
 * packs streams into requests of at most `maxBytes`. A stream larger than that spans several
 * requests, in timestamp order, which Loki accepts as long as they are sent in order. A single
 * entry larger than `maxBytes` gets a request of its own.
 */
export function planRequests(converted: ConvertedLogs, maxBytes: number): PlannedRequest[] {
  const requests: PlannedRequest[] = [];
  for (const { tenant, streams } of converted.tenants.values()) {
    let current: PlannedRequest = { tenant, streams: [], lines: 0, bytes: 0 };
    for (const stream of streams.values()) {
      const entries = stream.entries;
      if (!isSorted(entries)) entries.sort(compareEntries);
      const streamBytes = stream.selector.length + 8;
      let chunk: PlannedStream | undefined;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        const need = e.bytes + (chunk === undefined ? streamBytes : 0);
        if (current.lines > 0 && current.bytes + need > maxBytes) {
          requests.push(current);
          current = { tenant, streams: [], lines: 0, bytes: 0 };
          chunk = undefined;
        }
        if (chunk === undefined) {
          chunk = { selector: stream.selector, labels: stream.labels, entries: [] };
          current.streams.push(chunk);
          current.bytes += streamBytes;
        }
        chunk.entries.push(e);
        current.bytes += e.bytes;
        current.lines++;
      }
    }
    if (current.lines > 0) requests.push(current);
  }
  return requests;
}

function compareEntries(a: LokiEntry, b: LokiEntry): number {
  return a.sec - b.sec || a.nanos - b.nanos;
}

function isSorted(entries: readonly LokiEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compareEntries(entries[i - 1], entries[i]) > 0) return false;
  return true;
}

/** An encoded request, ready to POST. */
export interface EncodedRequest {
  readonly body: Uint8Array;
  readonly contentType: 'application/x-protobuf' | 'application/json';
  readonly contentEncoding: 'gzip' | undefined;
  readonly tenant: string | undefined;
  readonly lines: number;
}

/** Wire options. */
export interface EncodeOptions {
  readonly encoding: 'protobuf' | 'json';
  readonly gzip: boolean;
}

const arena = new EncodeArena();

/** Encodes one planned request. */
export async function encodeRequest(plan: PlannedRequest, options: EncodeOptions): Promise<EncodedRequest> {
  let body: Uint8Array;
  if (options.encoding === 'protobuf') {
    // Loki reads the body with snappy's block format (golang/snappy Decode), never the framed one.
    // Encoded into reused memory and compressed right away: no uncompressed body per request.
    body = compressBodySync(encodePushRequest(plan, arena.start()));
  } else {
    body = Buffer.from(encodeJson(plan));
  }
  if (options.gzip) body = await gzip(body);
  return {
    body,
    contentType: options.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    contentEncoding: options.gzip ? 'gzip' : undefined,
    tenant: plan.tenant,
    lines: plan.lines,
  };
}

/** Loki's JSON push body of a planned request. */
export function encodeJson(plan: PlannedRequest): string {
  const streams = plan.streams.map((s) => {
    const stream: Record<string, string> = {};
    for (const l of s.labels) stream[l.name] = l.value;
    return {
      stream,
      values: s.entries.map((e) => {
        const ts = nanosString(e.sec, e.nanos);
        const meta = allMetadata(e);
        if (meta.length === 0) return [ts, e.line];
        const obj: Record<string, string> = {};
        for (const m of meta) obj[m.name] = m.value;
        return [ts, e.line, obj];
      }),
    };
  });
  return JSON.stringify({ streams });
}

function allMetadata(e: LokiEntry): readonly MetadataPair[] {
  if (e.shared.length === 0) return e.meta;
  if (e.meta.length === 0) return e.shared;
  return e.meta.concat(e.shared);
}
