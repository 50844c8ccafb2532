/**
 * The prometheusremotewrite exporter's two homes for its sender (a worker thread of its own, or
 * the event loop: exporters/prometheus-remote-write/exporter.ts `useSenderThread`), for tests
 * that must hold in both: `describe.each(SENDER_HOMES)`, with `senderHome(value)`'s `set` and
 * `restore` as the block's beforeAll and afterAll.
 */

/** [title, STITCH_EXPORTER_THREADS value] pairs. */
export const SENDER_HOMES: [string, string][] = [
  ['sender on its own thread', '1'],
  ['sender on the event loop', '0'],
];

/** Sets STITCH_EXPORTER_THREADS to `value` (exporters created meanwhile follow it) and restores it. */
export function senderHome(value: string): { set(): void; restore(): void } {
  let before: string | undefined;
  return {
    set() {
      before = process.env.STITCH_EXPORTER_THREADS;
      process.env.STITCH_EXPORTER_THREADS = value;
    },
    restore() {
      if (before === undefined) delete process.env.STITCH_EXPORTER_THREADS;
      else process.env.STITCH_EXPORTER_THREADS = before;
    },
  };
}
