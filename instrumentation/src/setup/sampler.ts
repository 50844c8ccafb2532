/**
 * The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (the SDK's TracerProvider
 * no longer reads them itself; only the all-in-one sdk-node did).
 */
import { getNumberFromEnv, getStringFromEnv } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { errors } from '../errors.js';

/** The sampler from the environment; `parentbased_always_on` when unset (the spec's default). */
export function samplerFromEnv(): Sampler {
  const name = (getStringFromEnv('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const ratio = () => {
    const r = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG') ?? 1;
    if (!(r >= 0 && r <= 1)) throw errors.STITCH_ERR_INSTR_OPTION(['OTEL_TRACES_SAMPLER_ARG', `must be within [0, 1], got ${r}`]);
    return new TraceIdRatioBasedSampler(r);
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      throw errors.STITCH_ERR_INSTR_OPTION([
        'OTEL_TRACES_SAMPLER',
        `unsupported sampler "${name}" (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)`,
      ]);
  }
}
