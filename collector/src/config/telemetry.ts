/**
 * `service.telemetry`: the collector's own logs and metrics, with the Collector's option names.
 *
 * Implemented: `logs.level`, `metrics.level`, and the metrics endpoint as either `address`
 * (older form) or one `readers: [{pull: {exporter: {prometheus: {host, port}}}}]` (current form).
 * Accepted and ignored, because they change nothing a user relies on: `logs.encoding`,
 * `logs.development`, `logs.disable_caller`, `logs.disable_stacktrace`, `logs.sampling`,
 * `logs.initial_fields`, `traces.level`, `traces.propagators`, `resource`.
 * Rejected with STITCH_ERR_CONFIG_UNSUPPORTED_OPTION, because silently ignoring them would lose
 * data the user asked for: see UNSUPPORTED below.
 */
import { errors } from '../errors.js';
import { decodeNode } from './decode.js';
import { type ConfigProblem, problem } from './problems.js';
import { hostPort, z } from './schema.js';
import { type Location, type Node, nodeAt } from './tree.js';
import type { TelemetryConfig } from './types.js';

/** Where `/metrics` is served when nothing says otherwise: loopback only, the Collector's port. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** The Collector's self-metrics port. */
export const DEFAULT_METRICS_PORT = 8888;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal'] as const;

// zap's level names, case-insensitive; dpanic/panic/fatal only log errors, so they map to error.
const logLevel = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(LOG_LEVELS))
  .transform((l): 'debug' | 'info' | 'warn' | 'error' => (l === 'dpanic' || l === 'panic' || l === 'fatal' ? 'error' : l));

const metricsLevel = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['none', 'basic', 'normal', 'detailed']));

const ignored = z.unknown().optional();

const prometheusSchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  without_type_suffix: ignored,
  without_units: ignored,
  without_scope_info: ignored,
  with_resource_constant_labels: ignored,
});

const readerSchema = z.strictObject({
  pull: z.strictObject({ exporter: z.strictObject({ prometheus: prometheusSchema }) }).optional(),
  periodic: ignored,
});

/** The strict schema of `service.telemetry`. */
export const telemetrySchema = z.strictObject({
  logs: z
    .strictObject({
      level: logLevel.default('info'),
      encoding: z.enum(['json', 'console']).optional(),
      development: z.boolean().optional(),
      disable_caller: z.boolean().optional(),
      disable_stacktrace: z.boolean().optional(),
      sampling: z.record(z.string(), z.unknown()).optional(),
      initial_fields: z.record(z.string(), z.unknown()).optional(),
      output_paths: ignored,
      error_output_paths: ignored,
      processors: ignored,
    })
    .prefault({}),
  metrics: z
    .strictObject({
      level: metricsLevel.default('normal'),
      address: hostPort.optional(),
      readers: z.array(readerSchema).optional(),
      views: ignored,
    })
    .prefault({}),
  traces: z
    .strictObject({
      level: metricsLevel.optional(),
      propagators: z.array(z.string()).optional(),
      processors: ignored,
    })
    .optional(),
  resource: z.record(z.string(), z.union([z.string(), z.null()])).optional(),
});

/** Collector options Stitch knows but does not implement: the path below `service.telemetry` and why. */
const UNSUPPORTED: readonly { path: readonly (string | number | '*')[]; why: string }[] = [
  { path: ['logs', 'output_paths'], why: "the collector's own logs always go to stderr" },
  { path: ['logs', 'error_output_paths'], why: "the collector's own logs always go to stderr" },
  { path: ['logs', 'processors'], why: "exporting the collector's own logs is not implemented; they go to stderr as JSON" },
  { path: ['traces', 'processors'], why: "exporting the collector's own traces is not implemented" },
  { path: ['metrics', 'views'], why: 'self-metrics views are not implemented' },
  { path: ['metrics', 'readers', '*', 'periodic'], why: 'only a pull reader with the prometheus exporter is implemented' },
  ...['without_type_suffix', 'without_units', 'without_scope_info', 'with_resource_constant_labels'].map((k) => ({
    path: ['metrics', 'readers', '*', 'pull', 'exporter', 'prometheus', k],
    why: 'the self-metrics names and labels are fixed (see the telemetry README)',
  })),
];

/**
 * Decodes `service.telemetry` (absent or null = every default). `keyLoc` is where the
 * `telemetry` key (or, when absent, `service`) is written.
 */
export function decodeTelemetry(
  node: Node | undefined,
  keyLoc: Location,
): { value?: TelemetryConfig; problems: ConfigProblem[] } {
  const base = ['service', 'telemetry'];
  const { value, problems } = decodeNode(telemetrySchema, node, { path: base, keyLoc });
  if (node && node.kind === 'map') {
    for (const u of UNSUPPORTED) {
      for (const path of expand(node, u.path)) {
        const at = nodeAt(node, path);
        if (!at.exact) continue;
        const full = [...base, ...path];
        problems.push(
          problem(
            errors.STITCH_ERR_CONFIG_UNSUPPORTED_OPTION,
            [JSON.stringify(path.at(-1)), u.why],
            full,
            at.keyLoc ?? at.node.loc,
          ),
        );
      }
    }
  }
  // Checked on the YAML itself so they are reported together with any schema problem.
  const metricsEntry = node?.kind === 'map' ? node.entries.get('metrics') : undefined;
  if (metricsEntry?.value.kind === 'map') {
    const m = metricsEntry.value;
    const mPath = [...base, 'metrics'];
    const address = m.entries.get('address');
    const readers = m.entries.get('readers')?.value;
    const items = readers?.kind === 'seq' ? readers.items : [];
    const pulls = items.flatMap((r, i) => (r.kind === 'map' && r.entries.has('pull') ? [i] : []));
    if (address && !(address.value.kind === 'scalar' && address.value.value === null) && pulls.length > 0) {
      problems.push(
        problem(
          errors.STITCH_ERR_CONFIG_INVALID_VALUE,
          ['set the endpoint with either address (older form) or readers, not both'],
          [...mPath, 'address'],
          address.keyLoc,
        ),
      );
    }
    if (pulls.length > 1) {
      const i = pulls[1] as number;
      problems.push(
        problem(
          errors.STITCH_ERR_CONFIG_UNSUPPORTED_OPTION,
          ['a second pull reader', 'Stitch serves its own metrics on one endpoint'],
          [...mPath, 'readers', i],
          (items[i] as Node).loc,
        ),
      );
    }
    items.forEach((r, i) => {
      if (r.kind === 'map' && !r.entries.has('pull') && !r.entries.has('periodic')) {
        problems.push(problem(errors.STITCH_ERR_CONFIG_MISSING, ['"pull"'], [...mPath, 'readers', i, 'pull'], r.loc));
      }
    });
  }
  if (!value || problems.length > 0) return { problems };

  const { metrics } = value;
  let host = DEFAULT_METRICS_HOST;
  let port = DEFAULT_METRICS_PORT;
  const prom = metrics.readers?.find((r) => r.pull !== undefined)?.pull?.exporter.prometheus;
  if (prom) {
    host = prom.host ?? DEFAULT_METRICS_HOST;
    port = prom.port ?? DEFAULT_METRICS_PORT;
  } else if (metrics.address !== undefined) {
    const colon = metrics.address.lastIndexOf(':');
    const h = metrics.address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    // Go's net.Listen reads an empty host as every interface.
    host = h === '' ? '0.0.0.0' : h;
    port = Number(metrics.address.slice(colon + 1));
  }
  return {
    value: { logs: { level: value.logs.level }, metrics: { level: metrics.level, host, port } },
    problems,
  };
}

/** Every concrete path matching a pattern whose `'*'` segments stand for each list index. */
function expand(node: Node, pattern: readonly (string | number | '*')[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (n: Node, i: number, acc: (string | number)[]) => {
    if (i === pattern.length) {
      out.push(acc);
      return;
    }
    const seg = pattern[i];
    if (seg === '*') {
      if (n.kind === 'seq') for (const [j, item] of n.items.entries()) walk(item, i + 1, [...acc, j]);
      return;
    }
    if (n.kind === 'map') {
      const e = n.entries.get(String(seg));
      if (e) walk(e.value, i + 1, [...acc, seg as string | number]);
    }
  };
  walk(node, 0, []);
  return out;
}
