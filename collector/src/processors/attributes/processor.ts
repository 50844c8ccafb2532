/**
 * The attributes processor: applies the `actions` to the attributes of every span, log record
 * and metric data point that passes `include` / `exclude`, in place. For metrics the match is
 * per metric (name, resource) and the actions run on each of its data points' attributes.
 */
import type { Component, ConsumeContext, Consumer, CreateSettings } from '../../component/component.js';
import { errors } from '../../errors.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../model/types.js';
import { compileActions } from '../internal/attraction/index.js';
import { dataPointsOf } from '../internal/data-points.js';
import { compileMatcher, includeExclude } from '../internal/matcher/index.js';
import type { AttributesConfig } from './config.js';

/** A running attributes processor. */
export type AttributesProcessor<S extends Signal> = Component & Consumer<SignalData[S]>;

/** Creates the attributes processor for `signal` in front of `next`. */
export function createAttributesProcessor<S extends Signal>(
  settings: CreateSettings,
  config: AttributesConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
): AttributesProcessor<S> {
  const actions = compileActions(config.actions);
  const base = `processors.${settings.id}`;
  const filter = includeExclude(
    config.include && compileMatcher(config.include, signal, `${base}.include`),
    config.exclude && compileMatcher(config.exclude, signal, `${base}.exclude`),
  );
  let stopped = false;

  const process = (batch: SignalData[Signal], ctx: ConsumeContext | undefined): void => {
    if (signal === 'traces') {
      for (const rs of (batch as TracesData).resourceSpans)
        for (const ss of rs.scopeSpans)
          for (const span of ss.spans) if (!filter || filter(rs.resource, ss.scope, span)) actions.apply(span.attributes, ctx);
    } else if (signal === 'logs') {
      for (const rl of (batch as LogsData).resourceLogs)
        for (const sl of rl.scopeLogs)
          for (const log of sl.logRecords) if (!filter || filter(rl.resource, sl.scope, log)) actions.apply(log.attributes, ctx);
    } else {
      for (const rm of (batch as MetricsData).resourceMetrics)
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) {
            if (filter && !filter(rm.resource, sm.scope, m)) continue;
            for (const dp of dataPointsOf(m)) actions.apply(dp.attributes, ctx);
          }
    }
  };

  return {
    capabilities: { mutatesData: true },
    async start() {},
    async shutdown() {
      stopped = true;
    },
    consume(batch: SignalData[S], context?: ConsumeContext) {
      if (stopped) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      process(batch, context);
      return next.consume(batch, context);
    },
  };
}
