/**
 * Every listener Stitch ships binds to loopback unless the config says otherwise: each
 * receiver's and extension's default endpoint (the OTLP protocols with every default, the
 * remote-write receiver, health_check, and whatever query API or web view is registered), and
 * the self-metrics endpoint. Exporters are left out: their endpoints are where data goes, not
 * where Stitch listens.
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

describe('listeners bind to loopback by default', () => {
  const listeners = builtinFactories.filter((f) => f.kind === 'receiver' || f.kind === 'extension');

  it('covers the listening components', () => {
    const types = listeners.map((f) => f.type);
    for (const t of ['otlp', 'prometheusremotewrite', 'health_check']) expect(types).toContain(t);
  });

  for (const factory of listeners) {
    it(`${factory.kind} ${factory.type}: every default endpoint is loopback`, () => {
      const base = factory.exampleConfig ?? {};
      const parsed = factory.configSchema.safeParse({ ...base, ...(ENABLE_ALL[factory.type] ?? {}) });
      // Components whose defaults alone are invalid have an exampleConfig; anything else must parse.
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      for (const [path, ep] of endpoints(parsed.data)) {
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
    });
  });
});
