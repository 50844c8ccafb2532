/**
 * The resource processor: applies the `attributes` actions to the resource of every
 * ResourceSpans / ResourceMetrics / ResourceLogs in a batch, in place.
 */
import type { Component, ConsumeContext, Consumer, CreateSettings } from '../../component/component.js';
import { errors } from '../../errors.js';
import type { LogsData, MetricsData, Resource, Signal, SignalData, TracesData } from '../../model/types.js';
import { compileActions } from '../internal/attraction/index.js';
import type { ResourceConfig } from './config.js';

/** A running resource processor. */
export type ResourceProcessor<S extends Signal> = Component & Consumer<SignalData[S]>;

type WithResource = { resource?: Resource | null };

function resourcesOf(signal: Signal, batch: SignalData[Signal]): WithResource[] {
  if (signal === 'traces') return (batch as TracesData).resourceSpans;
  if (signal === 'metrics') return (batch as MetricsData).resourceMetrics;
  return (batch as LogsData).resourceLogs;
}

/** Creates the resource processor for `signal` in front of `next`. */
export function createResourceProcessor<S extends Signal>(
  settings: CreateSettings,
  config: ResourceConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
): ResourceProcessor<S> {
  const actions = compileActions(config.attributes);
  let stopped = false;
  return {
    capabilities: { mutatesData: true },
    async start() {},
    async shutdown() {
      stopped = true;
    },
    consume(batch: SignalData[S], context?: ConsumeContext) {
      if (stopped) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      for (const r of resourcesOf(signal, batch)) {
        if (!r.resource) r.resource = { attributes: [] };
        actions.apply(r.resource.attributes, context);
      }
      return next.consume(batch, context);
    },
  };
}
