/** The tap point the pipeline graph puts at each pipeline's entry and after each processor. */
import type { Consumer } from '../component/component.js';
import type { Signal, SignalData } from '../model/types.js';
import type { TapHub } from './hub.js';

type AnyConsumer = Consumer<SignalData[Signal]>;

/**
 * Wraps `inner` so that what passes through it can be tapped at (`pipeline`, `after`), the
 * `position`-th point of the pipeline (0: its entry, n: after its n-th processor). With no
 * one tapping, the cost is one property read per batch; with someone tapping, a sample is copied
 * out synchronously before `inner` (which may edit or drop the batch) sees it.
 */
export function tapConsumer(
  hub: TapHub,
  where: { pipeline: string; after: string; position: number },
  signal: Signal,
  inner: AnyConsumer,
): AnyConsumer {
  const point = hub.point(where.pipeline, where.after, signal, where.position);
  return {
    get capabilities() {
      return inner.capabilities;
    },
    consume(batch, context) {
      if (point.active) point.publish(batch);
      return inner.consume(batch, context);
    },
  };
}
