/**
 * Every listener Stitch ships binds to loopback unless the config says otherwise: each
 * receiver's and extension's default endpoint (the OTLP protocols with every default, the
 * remote-write receiver, health_check), the listening exporters (the `local` web view and its
 * JSON query API, Prometheus pull), and the self-metrics endpoint. Other exporters' endpoints are
 * where data goes, not where Stitch listens.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_HOST } from '../../collector/src/config/index.js';
import { builtinFactories } from '../../collector/src/registry.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Every `endpoint` string in a parsed config, with its path. */
function endpoints(value: unknown, path = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (k === 'endpoint' && typeof v === 'string') out.push([p, v]);
    else out.push(...endpoints(v, p));
  }
  return out;
}

function host(endpoint: string): string {
  const withoutScheme = endpoint.replace(/^[a-z]+:\/\//, '');
  const m = /^(\[[^\]]+\]|[^:/]*)/.exec(withoutScheme);
  return m?.[1] ?? '';
}

/** Config sections that turn on every optional listener block of a component. */
const ENABLE_ALL: Record<string, Record<string, unknown>> = {
  otlp: { protocols: { http: {}, grpc: {} } },
};

/** Exporters that listen rather than send: the local view with its JSON query API, Prometheus pull. */
const LISTENING_EXPORTERS = new Set(['local', 'prometheus']);

/** The config a component gets with every default (plus its exampleConfig when defaults alone are invalid). */
function defaults(f: (typeof builtinFactories)[number]): { config: unknown; given: Set<string> } {
  const enable = ENABLE_ALL[f.type] ?? {};
  const plain = f.configSchema.safeParse(enable);
  if (plain.success) return { config: plain.data, given: new Set() };
  // A required option has no default: what the example supplies is not a default, so skip it.
  const example = f.exampleConfig ?? {};
  return { config: f.configSchema.parse({ ...example, ...enable }), given: new Set(endpoints(example).map(([p]) => p)) };
}

describe('listeners bind to loopback by default', () => {
  const listeners = builtinFactories.filter(
    (f) => f.kind === 'receiver' || f.kind === 'extension' || (f.kind === 'exporter' && LISTENING_EXPORTERS.has(f.type)),
  );

  it('covers the listening components, the query API included', () => {
    const types = listeners.map((f) => f.type);
    for (const t of ['otlp', 'prometheusremotewrite', 'health_check', 'local']) expect(types).toContain(t);
  });

  for (const factory of listeners) {
    it(`${factory.kind} ${factory.type}: every default endpoint is loopback`, () => {
      const { config, given } = defaults(factory);
      for (const [path, ep] of endpoints(config)) {
        if (given.has(path)) continue;
        expect(LOOPBACK.has(host(ep)), `${factory.type}.${path} defaults to ${ep}`).toBe(true);
      }
    });
  }

  it('self-metrics default to 127.0.0.1', () => {
    expect(DEFAULT_METRICS_HOST).toBe('127.0.0.1');
  });

  it('the defaults listed in the READMEs are the loopback ones', () => {
    const eps = Object.fromEntries(
      listeners.flatMap((f) =>
        endpoints(f.configSchema.parse({ ...(f.exampleConfig ?? {}), ...(ENABLE_ALL[f.type] ?? {}) })).map(([p, e]) => [
          `${f.type}.${p}`,
          e,
        ]),
      ),
    );
    expect(eps).toMatchObject({
      'otlp.protocols.http.endpoint': 'localhost:4318',
      'otlp.protocols.grpc.endpoint': 'localhost:4317',
      'prometheusremotewrite.endpoint': 'localhost:9090',
      'health_check.endpoint': 'localhost:13133',
      'local.endpoint': '127.0.0.1:13190',
    });
  });
});
