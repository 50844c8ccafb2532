/**
 * Lets the old generation grow as it would on a large heap when the collector runs with a small
 * `--max-old-space-size` (the DaemonSet's 384 MiB, sized to its 512 MiB memory limit).
 *
 * V8 picks the factor by which the old-generation limit may grow past the live size after a full
 * collection from the maximum heap size: 4 from 2 GiB up, but only ~1.35 at 384 MiB. A collector
 * allocates its request and response bodies outside the heap, and V8 counts those external bytes
 * towards the same limit, so at 1.35 it ran a mark-compact every ~100 ms under remote-write load:
 * measured with bench/collector-load.mjs under the DaemonSet's flags, factor 4 gave the relay
 * 405k → 490k samples per CPU-second and OTLP → remote-write 429k → 560k samples/s, with peak RSS
 * still under 256 MiB. `--heap-growing-percent` is read at every limit computation, so it can be
 * set after start; `--max-old-space-size` still caps the heap and memory_limiter still refuses
 * data before that.
 */
import v8 from 'node:v8';
import { v8FlagSetByUser } from './startup-heap.js';

/** `--heap-growing-percent` for a growing factor of 4 (1 + 300/100), V8's factor for large heaps. */
export const LARGE_HEAP_GROWING_PERCENT = 300;

/** Applies {@link LARGE_HEAP_GROWING_PERCENT} unless the user chose a value; returns whether it did. */
export function useLargeHeapGrowingFactor(): boolean {
  if (v8FlagSetByUser('heap-growing-percent')) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${LARGE_HEAP_GROWING_PERCENT}`);
  return true;
}
