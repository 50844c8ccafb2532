/**
 * Loading component implementations on demand. A factory's identity, config schema and defaults
 * are small and imported eagerly (`stitch components`, `stitch validate` and config loading need
 * them); its implementation (fastify, grpc-js, protobufjs roots, native codecs, …) is imported
 * only when a config uses the component, so an idle collector pays only for what it runs.
 *
 * The runtime (`service/collector.ts`) awaits `loadFactories` for every factory the config uses
 * before it creates anything; `create` stays synchronous and reads the loaded module.
 */
import { errors } from '../errors.js';
import type { Factory } from './component.js';

/** An implementation module imported on first `load()`; `get()` returns it once loaded. */
export interface LazyImplementation<M> {
  /** Imports the module (once; later calls return the same promise). For a factory's `load`. */
  readonly load: () => Promise<void>;
  /** The loaded module; throws STITCH_ERR_COMPONENT_NOT_LOADED before `load()` resolved. */
  get(): M;
  /** True once `load()` resolved. */
  readonly loaded: boolean;
}

/**
 * A lazily imported implementation for the factory `key` (`receiver/otlp`). `importer` must be a
 * literal `() => import('./receiver.js')` so TypeScript types the module and bundlers see it.
 */
export function lazyImplementation<M>(key: string, importer: () => Promise<M>): LazyImplementation<M> {
  let module: M | undefined;
  let pending: Promise<void> | undefined;
  return {
    load() {
      pending ??= importer().then(
        (m) => {
          module = m;
        },
        (err: unknown) => {
          pending = undefined; // a failed import (a missing native binding) may be retried
          throw err;
        },
      );
      return pending;
    },
    get() {
      if (module === undefined) throw errors.STITCH_ERR_COMPONENT_NOT_LOADED([key]);
      return module;
    },
    get loaded() {
      return module !== undefined;
    },
  };
}

/**
 * Loads the implementations of `factories` (each once, in parallel). Factories without `load`
 * are eager and need nothing. Rejects with STITCH_ERR_COMPONENT_START naming the first factory
 * whose implementation failed to import.
 */
export async function loadFactories(factories: Iterable<Factory>): Promise<void> {
  const unique = [...new Set(factories)];
  await Promise.all(
    unique.map(async (f) => {
      try {
        await f.load?.();
      } catch (err) {
        throw errors.STITCH_ERR_COMPONENT_START(
          [`${f.kind}/${f.type}`, `cannot load its implementation: ${(err as Error).message}`],
          {
            cause: err,
          },
        );
      }
    }),
  );
}
