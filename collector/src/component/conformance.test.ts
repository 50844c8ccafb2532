/**
 * The conformance suite: every factory in `builtinFactories` must pass these checks, so a new
 * component is checked the moment it is registered (the TypeScript form of the Collector's
 * generated_component_test.go). Checks:
 *
 * - identity: `type` is snake_case and unique per kind, a one-line description, stability set;
 * - config: the schema is strict, and the factory's `exampleConfig` (or `{}`) parses;
 * - lifecycle: shutdown without start resolves, and so does a second shutdown;
 * - flush: start → consume → shutdown delivers before shutdown resolves — processors hand every
 *   item to the next consumer, exporters deliver to a local sink (their `endpoint` options point
 *   at it) and count every item as sent, receivers and extensions listen on the free ports their
 *   `endpoint` options were pointed at and release them on shutdown, connectors accept the data;
 * - consume after shutdown rejects with STITCH_ERR_SHUTDOWN;
 * - lazy loading: each factory has a `load()` (idempotent) that every other check awaits first, as
 *   the runtime does, and importing the registry (the built CLI) loads no implementation module.
 *
 * Nothing is skipped: a component that cannot pass a check must be listed in EXCUSED with a
 * reason and the test file that covers the behaviour instead, and the suite checks that file exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNALS, type Signal, type SignalData } from '../model/types.js';
import { builtinFactories } from '../registry.js';
import { SelfTelemetry } from '../telemetry/self-metrics.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../testing/index.js';
import type {
  Component,
  ConnectorFactory,
  Consumer,
  ExporterFactory,
  Factory,
  ProcessorFactory,
  ReceiverFactory,
} from './component.js';
import {
  type EndpointOption,
  factoryKey,
  findEndpoints,
  HttpSink,
  OtlpGrpcSink,
  portIsFree,
  signalsOf,
  withOption,
} from './conformance/harness.js';
import { sampleData } from './conformance/sample-data.js';
import { loadFactories } from './lazy.js';

/**
 * Configs for factories that do not declare `exampleConfig` although their defaults alone cannot
 * run here. Each entry says why; move it into the factory's `exampleConfig` (the suite fails once
 * the factory has one, so this table cannot go stale). Empty: every factory declares its own.
 */
const CONFORMANCE_CONFIGS: Record<string, { config: Record<string, unknown>; reason: string }> = {};

/** Checks a component is excused from, with the reason and where the behaviour is tested instead. */
const EXCUSED: Record<string, { reason: string; coveredBy: string }> = {
  // 'exporter/example:flush': { reason: '…', coveredBy: 'collector/src/exporters/example/exporter.test.ts' },
};

/** Exporters whose `endpoint` is where they listen (pull exporters), not where they send. */
const SERVING_EXPORTERS = new Set(['local', 'prometheus']);

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const TYPE_RE = /^[a-z][a-z0-9_]*$/;

function rawConfigOf(f: Factory): Record<string, unknown> {
  return (f.exampleConfig as Record<string, unknown> | undefined) ?? CONFORMANCE_CONFIGS[factoryKey(f)]?.config ?? {};
}

function excused(f: Factory, check: string): boolean {
  return EXCUSED[`${factoryKey(f)}:${check}`] !== undefined;
}

/** What a test needs to build a component: its config with endpoints redirected, and the sinks. */
interface Prepared {
  config: unknown;
  /** Ports the component must listen on (servers: receivers, extensions). */
  serverPorts: number[];
  endpoints: EndpointOption[];
  http?: HttpSink;
  grpc?: OtlpGrpcSink;
  stop(): Promise<void>;
}

/**
 * Parses the factory's config and points every endpoint somewhere safe: a server's `host:port`
 * to a free loopback port; a client's URL to the HTTP sink and its `host:port` to the gRPC sink.
 */
async function prepare(f: Factory): Promise<Prepared> {
  let raw = rawConfigOf(f);
  const endpoints = findEndpoints(f.configSchema.parse(raw));
  const isClient = f.kind === 'exporter' && !SERVING_EXPORTERS.has(f.type);
  const prepared: Prepared = { config: undefined, serverPorts: [], endpoints, stop: async () => {} };
  for (const e of endpoints) {
    if (!isClient) {
      const port = await freePort();
      prepared.serverPorts.push(port);
      raw = withOption(raw, e.path, `127.0.0.1:${port}`);
    } else if (e.form === 'url') {
      if (!prepared.http) {
        prepared.http = new HttpSink();
        await prepared.http.start();
      }
      raw = withOption(raw, e.path, prepared.http.rewrite(e.value));
    } else {
      if (!prepared.grpc) {
        prepared.grpc = new OtlpGrpcSink(builtinFactories);
        await prepared.grpc.start();
      }
      raw = withOption(raw, e.path, `127.0.0.1:${prepared.grpc.port}`);
    }
  }
  prepared.config = f.configSchema.parse(raw);
  prepared.stop = async () => {
    await prepared.http?.stop();
    await prepared.grpc?.stop();
  };
  return prepared;
}

type Instance = {
  component: Component;
  consumers: Partial<Record<Signal, Consumer<SignalData[Signal]>>>;
  telemetry: SelfTelemetry;
};

let seq = 0;
/** Creates the component once per signal it handles (processors, connectors) or once (others). */
function instantiate(f: Factory, config: unknown, sinks: Partial<Record<Signal, CollectingConsumer<Signal>>>): Instance[] {
  const id = `${f.type}/conformance${++seq}`;
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const settings = testSettings(id, f.kind, telemetry);
  switch (f.kind) {
    case 'receiver': {
      const r = (f as ReceiverFactory).create(settings, config, sinks as never);
      return [{ component: r, consumers: {}, telemetry }];
    }
    case 'processor':
      return signalsOf(f).map((s) => {
        const p = (f as ProcessorFactory).create({ ...settings, pipelineId: `${s}/conformance` }, config, s, sinks[s] as never);
        return { component: p, consumers: { [s]: p }, telemetry };
      });
    case 'exporter': {
      const e = (f as ExporterFactory).create(settings, config, signalsOf(f));
      return [{ component: e, consumers: e.consumers as Instance['consumers'], telemetry }];
    }
    case 'connector':
      return (f as ConnectorFactory).connections.map((c) => {
        const k = (f as ConnectorFactory).create(settings, config, c.from, c.to, sinks[c.to] as never);
        return { component: k, consumers: { [c.from]: k }, telemetry };
      });
    case 'extension':
      return [{ component: f.create(settings, config), consumers: {}, telemetry }];
  }
}

function collectors(): Record<Signal, CollectingConsumer<Signal>> {
  return Object.fromEntries(SIGNALS.map((s) => [s, new CollectingConsumer(s)])) as Record<Signal, CollectingConsumer<Signal>>;
}

const ITEMS = 3;

describe('conformance tables', () => {
  it('CONFORMANCE_CONFIGS only lists registered factories without an exampleConfig', () => {
    for (const key of Object.keys(CONFORMANCE_CONFIGS)) {
      const f = builtinFactories.find((x) => factoryKey(x) === key);
      expect(f, `${key} is not registered`).toBeDefined();
      expect(f?.exampleConfig, `${key} has an exampleConfig now: remove it from CONFORMANCE_CONFIGS`).toBeUndefined();
    }
  });

  it('every EXCUSED entry gives a reason and an existing test file', () => {
    for (const [key, e] of Object.entries(EXCUSED)) {
      expect(e.reason.length, key).toBeGreaterThan(10);
      expect(existsSync(`${repoRoot}${e.coveredBy}`), `${key}: ${e.coveredBy} does not exist`).toBe(true);
    }
  });

  it('importing the registry loads no component implementation (the built CLI, as `stitch validate` runs it)', () => {
    // A child process on the build (test/global-setup.ts runs `tsc -b`): vitest's own module graph
    // cannot tell what plain Node would load. Module hooks record every module the import loads.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ load(url, ctx, next) { loaded.push(url); return next(url, ctx); } });
      await import(${JSON.stringify(`${repoRoot}collector/dist/registry.js`)});
      process.stdout.write(JSON.stringify(loaded));`;
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as string[];
    const collectorModules = loaded
      .filter((u) => u.includes('/collector/dist/'))
      .map((u) => u.slice(u.indexOf('/collector/dist/') + '/collector/dist/'.length));
    expect(collectorModules).toContain('receivers/otlp/factory.js');
    // What config validation needs: factories, their schemas and the helpers those use.
    const implementation = collectorModules.filter(
      (m) =>
        /\/(receiver|processor|exporter|extension|connector|server|grpc|http|codec|proto-root)\.js$/.test(m) ||
        m.startsWith('model/remote-write/'),
    );
    expect(implementation, 'implementation modules loaded by the registry').toEqual([]);
    const packages = new Set(loaded.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((p) => p !== undefined));
    for (const heavy of ['fastify', '@grpc/grpc-js', 'protobufjs', 'prom-client', 'pino', 'snappy', '@kubernetes/client-node']) {
      expect(packages.has(heavy), `${heavy} loaded by the registry`).toBe(false);
    }
  });

  it('types are unique per kind', () => {
    const keys = builtinFactories.map(factoryKey);
    const dups = keys.filter((k, i) => keys.indexOf(k) !== i);
    expect(dups).toEqual([]);
  });
});

describe.each(builtinFactories.map((f) => [factoryKey(f), f] as const))('%s', (_key, f) => {
  // As the runtime does (service/collector.ts): load, then create.
  beforeAll(() => loadFactories([f]));

  it('loads its implementation on demand: load() resolves, and again', async () => {
    expect(typeof f.load, 'a built-in factory imports its implementation in load()').toBe('function');
    await expect(f.load?.()).resolves.toBeUndefined();
    await expect(f.load?.()).resolves.toBeUndefined();
  });

  it('has a snake_case type, a one-line description and a stability', () => {
    expect(f.type).toMatch(TYPE_RE);
    expect(f.description.trim().length).toBeGreaterThan(10);
    expect(f.description).not.toContain('\n');
    if (f.kind === 'extension') expect(['development', 'alpha', 'beta', 'stable', 'deprecated']).toContain(f.stability);
    else if (f.kind === 'connector') expect(f.connections.length).toBeGreaterThan(0);
    else expect(signalsOf(f).length).toBeGreaterThan(0);
  });

  it('has a strict schema, and its example config (or {}) parses', () => {
    const raw = rawConfigOf(f);
    const parsed = f.configSchema.safeParse(raw);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(typeof parsed.data).toBe('object');
    const unknown = f.configSchema.safeParse({ ...raw, conformance_unknown_key: 1 });
    expect(unknown.success, 'an unknown key must be an error').toBe(false);
  });

  it('shuts down without start, twice', async () => {
    const p = await prepare(f);
    try {
      for (const inst of instantiate(f, p.config, collectors())) {
        await expect(inst.component.shutdown(AbortSignal.timeout(5000))).resolves.toBeUndefined();
        await expect(inst.component.shutdown(AbortSignal.timeout(5000))).resolves.toBeUndefined();
      }
    } finally {
      await p.stop();
    }
  });

  if (!excused(f, 'flush')) {
    it('start → consume → shutdown delivers before shutdown resolves', async () => {
      const p = await prepare(f);
      const sinks = collectors();
      const instances = instantiate(f, p.config, sinks);
      try {
        const consumed: Promise<void>[] = [];
        const sent: Signal[] = [];
        for (const inst of instances) {
          await inst.component.start(testHost());
          for (const [s, c] of Object.entries(inst.consumers) as [Signal, Consumer<SignalData[Signal]>][]) {
            // Not awaited yet: a batching component may resolve only once it has flushed.
            consumed.push(c.consume(sampleData(s, { items: ITEMS, tag: `conf-${s}` })));
            sent.push(s);
          }
        }
        if (f.kind === 'receiver' || f.kind === 'extension') {
          for (const port of p.serverPorts) expect(await portIsFree(port), `nothing listens on ${port}`).toBe(false);
        }
        for (const inst of instances) await inst.component.shutdown(AbortSignal.timeout(15_000));
        // What was delivered by the time shutdown resolved (not later, by some leftover timer).
        const atShutdown = {
          processor: Object.fromEntries(sent.map((s) => [s, sinks[s].itemCount])),
          http: p.http?.requests ?? 0,
          grpc: p.grpc?.itemCount ?? 0,
        };
        const pending = Symbol('pending');
        const settled = await Promise.race([
          Promise.all(consumed),
          new Promise((r) => setTimeout(() => r(pending), 1000).unref()),
        ]);
        expect(settled, 'consume() still pending after shutdown resolved').not.toBe(pending);

        if (f.kind === 'receiver' || f.kind === 'extension') {
          for (const port of p.serverPorts) expect(await portIsFree(port), `port ${port} still bound after shutdown`).toBe(true);
        }
        if (f.kind === 'processor') {
          for (const s of sent) expect(atShutdown.processor[s], `${s} items handed to the next consumer`).toBe(ITEMS);
        }
        if (f.kind === 'exporter') {
          const values =
            (await instances[0]?.telemetry.registry.getSingleMetric('stitch_exporter_sent_items_total')?.get())?.values ?? [];
          const sentItems = values.reduce((n, v) => n + v.value, 0);
          expect(sentItems, 'items counted in stitch_exporter_sent_items_total').toBe(ITEMS * sent.length);
          if (p.http) expect(atShutdown.http, 'requests reaching the HTTP sink').toBeGreaterThanOrEqual(sent.length);
          if (p.grpc) expect(atShutdown.grpc, 'items reaching the gRPC sink').toBe(ITEMS * sent.length);
        }
      } finally {
        for (const inst of instances) await inst.component.shutdown(AbortSignal.timeout(5000));
        await p.stop();
      }
    });
  }

  if (f.kind === 'processor' || f.kind === 'exporter' || f.kind === 'connector') {
    it('rejects consume after shutdown with STITCH_ERR_SHUTDOWN', async () => {
      const p = await prepare(f);
      const instances = instantiate(f, p.config, collectors());
      try {
        for (const inst of instances) {
          await inst.component.start(testHost());
          await inst.component.shutdown(AbortSignal.timeout(15_000));
          for (const [s, c] of Object.entries(inst.consumers) as [Signal, Consumer<SignalData[Signal]>][]) {
            await expect(c.consume(sampleData(s, { items: 1 }))).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
          }
        }
      } finally {
        await p.stop();
      }
    });
  }
});
