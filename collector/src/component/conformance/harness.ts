/**
 * Helpers for the conformance suite (../conformance.test.ts): where a config has endpoints and
 * how to point them at free loopback ports or local sinks, the sinks themselves, and a check
 * that a port was released. Test-only.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Signal } from '../../model/types.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../testing/index.js';
import type { Component, ComponentKind, Factory, ReceiverFactory } from '../component.js';

/** A config path (keys from the section root) to a string-valued `endpoint` / `*_endpoint` option. */
export interface EndpointOption {
  path: string[];
  value: string;
  /** `http(s)://…` (a client URL) or `host:port`. */
  form: 'url' | 'host_port';
}

/** Finds every `endpoint` / `*_endpoint` string in a parsed config (objects only, not arrays). */
export function findEndpoints(config: unknown, path: string[] = []): EndpointOption[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  const out: EndpointOption[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string' && (key === 'endpoint' || key.endsWith('_endpoint'))) {
      out.push({ path: [...path, key], value, form: /^https?:\/\//.test(value) ? 'url' : 'host_port' });
    } else if (value && typeof value === 'object') {
      out.push(...findEndpoints(value, [...path, key]));
    }
  }
  return out;
}

/** A deep copy of the raw (YAML-shaped) config with `value` set at `path`; null blocks become objects. */
export function withOption(raw: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const root = structuredClone(raw);
  let node: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (child === null || child === undefined || typeof child !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
  return root;
}

/** True when `port` can be bound on 127.0.0.1 again (the component released it). */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** An HTTP server that accepts every request with 200 and an empty body, and counts them. */
export class HttpSink {
  requests = 0;
  bytes = 0;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createHttpServer((req, res) => {
      req.on('data', (chunk: Buffer) => {
        this.bytes += chunk.length;
      });
      req.on('end', () => {
        this.requests++;
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  /** `http://127.0.0.1:<port>` + the path of `url`. */
  rewrite(url: string): string {
    const u = new URL(url);
    return `http://127.0.0.1:${this.port}${u.pathname}${u.search}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

/**
 * A gRPC OTLP endpoint for exporters that speak OTLP/gRPC: Stitch's own `otlp` receiver (the
 * only gRPC protocol Stitch speaks), collecting what arrives.
 */
export class OtlpGrpcSink {
  readonly received: Record<Signal, CollectingConsumer<Signal>> = {
    traces: new CollectingConsumer('traces'),
    metrics: new CollectingConsumer('metrics'),
    logs: new CollectingConsumer('logs'),
  };
  port = 0;
  private receiver: Component | undefined;

  constructor(private readonly factories: readonly Factory[]) {}

  async start(): Promise<void> {
    const f = this.factories.find((x): x is ReceiverFactory => x.kind === 'receiver' && x.type === 'otlp');
    if (!f) throw new Error('an exporter with a host:port endpoint needs the otlp receiver as its gRPC sink');
    await f.load?.();
    this.port = await freePort();
    const config = f.configSchema.parse({ protocols: { grpc: { endpoint: `127.0.0.1:${this.port}` } } });
    const r = f.create(testSettings('otlp/conformance_sink', 'receiver'), config, this.received as never);
    await r.start(testHost());
    this.receiver = r;
  }

  get itemCount(): number {
    return this.received.traces.itemCount + this.received.metrics.itemCount + this.received.logs.itemCount;
  }

  async stop(): Promise<void> {
    await this.receiver?.shutdown(AbortSignal.timeout(5000));
    this.receiver = undefined;
  }
}

/** The signals a factory handles. */
export function signalsOf(f: Factory): Signal[] {
  if (f.kind === 'extension') return [];
  if (f.kind === 'connector') return [...new Set(f.connections.map((c) => c.from))];
  return (Object.keys(f.stability) as Signal[]).filter((s) => f.stability[s] !== undefined);
}

/** `kind/type`, the key of the suite's tables. */
export function factoryKey(f: { kind: ComponentKind; type: string }): string {
  return `${f.kind}/${f.type}`;
}
