/**
 * Small fake factories for the config loader's tests: the Collector's type names, signals and a
 * few options each, so the loader is tested without the real components (written elsewhere).
 */
import type { Factory } from '../../component/component.js';
import { FactoryRegistry } from '../../registry.js';
import { duration, hostPort, httpUrl, requiredDuration, tlsClientSchema, z } from '../schema.js';

const notHere = () => {
  throw new Error('fake factory: create is not used by config tests');
};

const all = { traces: 'stable', metrics: 'stable', logs: 'stable' } as const;

/** Receivers, processors, exporters, connectors and extensions with the Collector's type names. */
export const fakeFactories: Factory[] = [
  {
    kind: 'receiver',
    type: 'otlp',
    description: 'fake otlp receiver',
    stability: all,
    configSchema: z.strictObject({
      protocols: z
        .strictObject({
          grpc: z.strictObject({ endpoint: hostPort.default('localhost:4317') }).optional(),
          http: z
            .strictObject({
              endpoint: hostPort.default('localhost:4318'),
              cors: z.strictObject({ allowed_origins: z.array(z.string()) }).optional(),
            })
            .optional(),
        })
        .prefault({}),
    }),
    create: notHere,
  },
  {
    kind: 'receiver',
    type: 'prometheus',
    description: 'fake prometheus receiver (metrics only)',
    stability: { metrics: 'beta' },
    configSchema: z.strictObject({ config: z.record(z.string(), z.unknown()).default({}) }),
    create: notHere,
  },
  {
    kind: 'receiver',
    type: 'filelog',
    description: 'fake filelog receiver (logs only)',
    stability: { logs: 'beta' },
    configSchema: z.strictObject({ include: z.array(z.string()).min(1), start_at: z.enum(['beginning', 'end']).default('end') }),
    create: notHere,
  },
  {
    kind: 'processor',
    type: 'batch',
    description: 'fake batch processor',
    stability: all,
    configSchema: z.strictObject({
      send_batch_size: z.number().int().min(0).default(8192),
      send_batch_max_size: z.number().int().min(0).default(0),
      timeout: duration('200ms'),
    }),
    create: notHere,
  },
  {
    kind: 'processor',
    type: 'memory_limiter',
    description: 'fake memory_limiter processor',
    stability: all,
    configSchema: z.strictObject({
      check_interval: requiredDuration(),
      limit_mib: z.number().int().min(0).default(0),
      spike_limit_mib: z.number().int().min(0).default(0),
      limit_percentage: z.number().int().min(0).max(100).default(0),
      spike_limit_percentage: z.number().int().min(0).max(100).default(0),
    }),
    create: notHere,
  },
  {
    kind: 'processor',
    type: 'attributes',
    description: 'fake attributes processor (traces and logs)',
    stability: { traces: 'beta', logs: 'beta' },
    configSchema: z.strictObject({
      actions: z
        .array(
          z.strictObject({
            key: z.string(),
            value: z.string().optional(),
            action: z.enum(['insert', 'update', 'upsert', 'delete']),
          }),
        )
        .default([]),
    }),
    create: notHere,
  },
  {
    kind: 'exporter',
    type: 'debug',
    description: 'fake debug exporter',
    stability: all,
    configSchema: z.strictObject({
      verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
      sampling_initial: z.number().int().default(2),
      sampling_thereafter: z.number().int().default(1),
    }),
    create: notHere,
  },
  {
    kind: 'exporter',
    type: 'otlp',
    description: 'fake otlp exporter',
    stability: all,
    configSchema: z.strictObject({
      endpoint: z.string().min(1),
      tls: tlsClientSchema,
      compression: z.enum(['gzip', 'none']).default('gzip'),
    }),
    create: notHere,
  },
  {
    kind: 'exporter',
    type: 'loki',
    description: 'fake loki exporter (logs only)',
    stability: { logs: 'beta' },
    configSchema: z.strictObject({ endpoint: httpUrl, headers: z.record(z.string(), z.string()).default({}) }),
    create: notHere,
  },
  {
    kind: 'exporter',
    type: 'prometheusremotewrite',
    description: 'fake remote-write exporter (metrics only)',
    stability: { metrics: 'beta' },
    configSchema: z.strictObject({ endpoint: httpUrl }),
    create: notHere,
  },
  {
    kind: 'connector',
    type: 'count',
    description: 'fake count connector',
    connections: [
      { from: 'traces', to: 'metrics', stability: 'alpha' },
      { from: 'logs', to: 'metrics', stability: 'alpha' },
    ],
    configSchema: z.strictObject({}),
    create: notHere,
  },
  {
    kind: 'connector',
    type: 'forward',
    description: 'fake forward connector',
    connections: [
      { from: 'traces', to: 'traces', stability: 'beta' },
      { from: 'metrics', to: 'metrics', stability: 'beta' },
      { from: 'logs', to: 'logs', stability: 'beta' },
    ],
    configSchema: z.strictObject({}),
    create: notHere,
  },
  {
    kind: 'connector',
    type: 'spanmetrics',
    description: 'fake spanmetrics connector',
    connections: [{ from: 'traces', to: 'metrics', stability: 'alpha' }],
    configSchema: z.strictObject({ namespace: z.string().default('traces.span.metrics') }),
    create: notHere,
  },
  {
    kind: 'extension',
    type: 'health_check',
    description: 'fake health_check extension',
    stability: 'beta',
    configSchema: z.strictObject({ endpoint: hostPort.default('localhost:13133') }),
    create: notHere,
  },
  {
    kind: 'extension',
    type: 'pprof',
    description: 'fake pprof extension',
    stability: 'beta',
    configSchema: z.strictObject({ endpoint: hostPort.default('localhost:1777') }),
    create: notHere,
  },
] as Factory[];

/** A registry of the fake factories. */
export function fakeRegistry(): FactoryRegistry {
  return new FactoryRegistry(fakeFactories);
}
