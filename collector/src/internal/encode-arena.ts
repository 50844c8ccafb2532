/**
 * Reused memory for encoded request bodies that are compressed as soon as they are written (the
 * remote-write and Loki exporters): without it every request allocates a fresh external
 * ArrayBuffer for its uncompressed body, hundreds of KB each, hundreds of times a second.
 */

/**
 * Where request bodies are written: `Buffer.allocUnsafe` (each body owns its memory), or an
 * {@link EncodeArena}'s `alloc` when the caller consumes the bodies before encoding again.
 */
export type BodyAllocator = (size: number) => Buffer;

/**
 * Reused memory for request bodies that are compressed as soon as they are encoded, so the relay
 * allocates no uncompressed body per request: each is a fresh external ArrayBuffer otherwise, and
 * at relay rates that external churn alone drove V8 into a mark-compact every ~100 ms (seen with --trace-gc).
 *
 * `start()` begins an encode: bodies it allocates are views valid until the next `start()`. One
 * larger than `maxBytes` gets memory of its own, so one huge request does not stay pinned.
 */
export class EncodeArena {
  private buf: Buffer = Buffer.allocUnsafe(0);
  private used = 0;
  private readonly alloc: BodyAllocator = (size) => {
    if (size > this.maxBytes) return Buffer.allocUnsafe(size);
    if (this.used + size > this.buf.length) {
      // Views handed out earlier keep the old memory alive until they are dropped.
      this.buf = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(size, this.buf.length * 2, 64 * 1024)));
      this.used = 0;
    }
    const view = this.buf.subarray(this.used, this.used + size);
    this.used += size;
    return view;
  };

  constructor(private readonly maxBytes = 8 * 1024 * 1024) {}

  /** Begins an encode; the returned allocator's bodies are valid until the next call. */
  start(): BodyAllocator {
    this.used = 0;
    return this.alloc;
  }
}
