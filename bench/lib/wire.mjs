/**
 * Just enough protobuf reading for the harness: count what a remote-write or Loki request holds
 * without decoding it into objects (the sinks must stay cheap next to the target), and find the
 * byte offsets of sentinel values in template requests so the load generator can patch fresh
 * timestamps and values in place instead of encoding every request.
 */

/** Reads a varint at `pos`; returns [value, next position]. Safe for values below 2^53. */
export function varint(buf, pos) {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos];
    mul *= 128;
  }
}

/** Position after the field whose tag (already read) has wire type `wt` and data at `pos`. */
function skip(buf, pos, wt) {
  if (wt === 0) {
    while (buf[pos++] >= 0x80);
    return pos;
  }
  if (wt === 1) return pos + 8;
  if (wt === 5) return pos + 4;
  if (wt === 2) {
    const [len, p] = varint(buf, pos);
    return p + len;
  }
  throw new Error(`unsupported wire type ${wt}`);
}

/**
 * Calls `onChild(fieldNumber, start, end)` for every length-delimited field of the message in
 * buf[start, end), and skips the others.
 */
export function eachField(buf, start, end, onChild) {
  let pos = start;
  while (pos < end) {
    const [tag, p] = varint(buf, pos);
    const wt = tag & 7;
    if (wt === 2) {
      const [len, q] = varint(buf, p);
      onChild(tag >>> 3, q, q + len);
      pos = q + len;
    } else pos = skip(buf, p, wt);
  }
}

/** Samples (float and native histogram) in an uncompressed remote-write WriteRequest. */
export function countRemoteWriteSamples(buf) {
  let n = 0;
  let series = 0;
  eachField(buf, 0, buf.length, (field, s, e) => {
    if (field !== 1) return;
    series++;
    eachField(buf, s, e, (f) => {
      if (f === 2 || f === 4) n++;
    });
  });
  return { samples: n, series };
}

/** Entries (log lines) in an uncompressed Loki PushRequest. */
export function countLokiEntries(buf) {
  let n = 0;
  eachField(buf, 0, buf.length, (field, s, e) => {
    if (field !== 1) return;
    eachField(buf, s, e, (f) => {
      if (f === 2) n++;
    });
  });
  return n;
}

/** Every offset at which `needle` occurs in `buf`. */
export function offsetsOf(buf, needle) {
  const out = [];
  let i = buf.indexOf(needle);
  while (i >= 0) {
    out.push(i);
    i = buf.indexOf(needle, i + needle.length);
  }
  return out;
}

/** The varint bytes of a non-negative safe integer. */
export function varintBytes(n) {
  const out = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
