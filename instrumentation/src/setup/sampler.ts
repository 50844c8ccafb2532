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

/** Samplers whose decision the lean server-span path computes inline (no shouldSample call). */
export type InlineSampler = 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off';
const INLINE = new WeakMap<Sampler, InlineSampler>();

/** The inline kind of a sampler made by {@link samplerFromEnv}, else undefined (call shouldSample). */
export function inlineSamplerKind(sampler: Sampler): InlineSampler | undefined {
  return INLINE.get(sampler);
}

function inline(sampler: Sampler, kind: InlineSampler): Sampler {
  INLINE.set(sampler, kind);
  return sampler;
}

/**
 * The sampler from the environment; `parentbased_always_on` when unset (the spec's default).
 * Every request still gets a span under the default: sampling is a cost knob, not a requirement.
 */
export function samplerFromEnv(): Sampler {
  const name = (getStringFromEnv('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const ratio = () => {
    const r = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG') ?? 1;
    if (!(r >= 0 && r <= 1)) throw errors.STITCH_ERR_INSTR_OPTION(['OTEL_TRACES_SAMPLER_ARG', `must be within [0, 1], got ${r}`]);
    return new TraceIdRatioBasedSampler(r);
  };
  switch (name) {
    case 'always_on':
      return inline(new AlwaysOnSampler(), 'always_on');
    case 'always_off':
      return inline(new AlwaysOffSampler(), 'always_off');
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return inline(new ParentBasedSampler({ root: new AlwaysOnSampler() }), 'parentbased_always_on');
    case 'parentbased_always_off':
      return inline(new ParentBasedSampler({ root: new AlwaysOffSampler() }), 'parentbased_always_off');
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      throw errors.STITCH_ERR_INSTR_OPTION([
        'OTEL_TRACES_SAMPLER',
        `unsupported sampler "${name}" (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)`,
      ]);
  }
}
