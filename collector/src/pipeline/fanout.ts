/**
 * Fan-out: one batch to several consumers, as the Collector's fanoutconsumer. Consumers that only
 * read share the original; each consumer that mutates gets its own copy, except that when every
 * consumer mutates, the last one gets the original (one copy fewer).
 */
import type { ConsumeContext, Consumer } from '../component/component.js';
import { StitchError } from '../errors.js';
import { cloneData } from '../model/clone.js';
import type { Signal, SignalData } from '../model/types.js';

/**
 * Builds a consumer that hands each batch to every consumer in `targets` and resolves when all
 * accepted. `targets` is read when the first batch arrives, so the graph can wire lazily.
 * When some reject, it rejects with the first error, retryable if any failure was retryable:
 * the sender retries and consumers that already accepted see the batch again (at-least-once).
 */
export function createFanout<S extends Signal>(signal: S, targets: readonly Consumer<SignalData[S]>[]): Consumer<SignalData[S]> {
  if (targets.length === 1) return targets[0] as Consumer<SignalData[S]>;
  let plan: { readers: Consumer<SignalData[S]>[]; mutators: Consumer<SignalData[S]>[] } | undefined;
  const mutatesData = false; // fan-out itself never mutates; it clones for those that do
  return {
    capabilities: { mutatesData },
    async consume(batch: SignalData[S], context?: ConsumeContext) {
      plan ??= {
        readers: targets.filter((t) => !t.capabilities.mutatesData),
        mutators: targets.filter((t) => t.capabilities.mutatesData),
      };
      const pending: Promise<void>[] = [];
      const { readers, mutators } = plan;
      for (let i = 0; i < mutators.length; i++) {
        const ownsOriginal = readers.length === 0 && i === mutators.length - 1;
        pending.push(mutators[i].consume(ownsOriginal ? batch : cloneData(signal, batch), context));
      }
      for (const r of readers) pending.push(r.consume(batch, context));
      const results = await Promise.allSettled(pending);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
      if (failures.length === 0) return;
      const retryable = failures.find((e) => !(e instanceof StitchError) || e.retryable);
      throw retryable ?? failures[0];
    },
  };
}
