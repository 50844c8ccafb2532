/**
 * The k8sattributes processor: adds the pod, namespace, node, workload and container of each
 * resource's source to its attributes, from a cache of this node's pods (see metadata.ts), and
 * never overwrites an attribute the sender set. It edits batches in place (`mutatesData`).
 */
import type { Component, ConsumeContext, Consumer, CreateSettings, Host } from '../../component/component.js';
import { errors } from '../../errors.js';
import type { Resource, Signal, SignalData } from '../../model/types.js';
import type { K8sAttributesConfig } from './config.js';
import { type K8sMetadata, type K8sMetadataDeps, sharedMetadata } from './metadata.js';

/** A running k8sattributes processor for one pipeline's signal. */
export type K8sAttributesProcessor<S extends Signal> = Component & Consumer<SignalData[S]> & { readonly metadata: K8sMetadata };

type WithResource = { resource?: Resource | null };

function resourcesOf(signal: Signal, batch: SignalData[Signal]): WithResource[] {
  switch (signal) {
    case 'traces':
      return (batch as SignalData['traces']).resourceSpans;
    case 'metrics':
      return (batch as SignalData['metrics']).resourceMetrics;
    case 'logs':
      return (batch as SignalData['logs']).resourceLogs;
  }
}

/** Creates the processor for `signal` in front of `next`; `deps` are test hooks. */
export function createK8sAttributesProcessor<S extends Signal>(
  settings: CreateSettings,
  config: K8sAttributesConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
  deps?: K8sMetadataDeps,
): K8sAttributesProcessor<S> {
  const handle = sharedMetadata(settings, config, deps);
  const metadata = handle.metadata;
  let state: 'created' | 'started' | 'stopped' = 'created';

  return {
    metadata,
    capabilities: { mutatesData: true },
    async start(_host: Host) {
      if (state !== 'created') return;
      await handle.acquire();
      state = 'started';
    },
    async shutdown() {
      if (state === 'started') await handle.release();
      state = 'stopped';
    },
    consume(batch: SignalData[S], context?: ConsumeContext) {
      if (state === 'stopped') return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      const address = context?.clientAddress;
      let hits = 0;
      let misses = 0;
      for (const r of resourcesOf(signal, batch) ?? []) {
        if (!r.resource) r.resource = { attributes: [] };
        else if (!r.resource.attributes) r.resource.attributes = [];
        const hit = metadata.enrich(r.resource, address);
        if (hit === true) hits++;
        else if (hit === false) misses++;
      }
      metadata.countAssociations(signal, hits, misses);
      return next.consume(batch, context);
    },
  };
}
