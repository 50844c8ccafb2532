#!/usr/bin/env node
/**
 * The `stitch` command line. Exit codes:
 *   0  success (collect: stopped gracefully on SIGTERM/SIGINT)
 *   1  invalid configuration, or the collector failed to start or crashed
 *   2  usage error (unknown command or flag)
 *   130 a second SIGINT/SIGTERM arrived while draining (forced exit)
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { StitchError } from '../errors.js';
import { useLargeHeapGrowingFactor } from '../service/heap-growth.js';
import { holdYoungGenerationWhileStarting } from '../service/startup-heap.js';

// Each command imports what it needs when it runs (config, registry, runtime, dashboards, …):
// `stitch collect` then starts with a young generation held small (service/startup-heap.ts) while
// those modules load, and the other commands load only what they use.

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const HELP = `stitch ${VERSION}: an OpenTelemetry-Collector-compatible pipeline for Node.js on Kubernetes

Usage:
  stitch collect --config FILE [--config FILE ...] [--shutdown-timeout 15s]
      Run the collector. Several files merge in order (maps merge, lists replace).
  stitch validate --config FILE [--config FILE ...]
      Check a configuration: exit 0, or exit 1 printing every problem with its path and line:column.
  stitch components [--json]
      List the supported receivers, processors, connectors, exporters and extensions.
  stitch tap --pipeline PIPELINE [--after PROCESSOR] [--filter key=value] [--limit N] [--json]
      Print live samples of what passes a point of a running collector (needs the \`tap\` extension).
  stitch dashboards --out DIR [--tempo] [--grafana-url URL] ...
      Write the Grafana dashboards and provisioning files (stitch dashboards --help for options).
  stitch demo [--rate N]
      Collector on the embedded default + demo service + demo operator + traffic (what npm start runs).
  stitch --help | --version

Exit codes: 0 ok, 1 invalid config or runtime failure, 2 usage error, 130 forced exit on a second signal.
`;

class UsageError extends Error {}

/** Errors that mean "wrong usage" (exit 2): ours, plus those of the subcommand modules once loaded. */
const usageErrors: (new (...args: never[]) => Error)[] = [UsageError];

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', multiple: true, short: 'c' },
        'shutdown-timeout': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function requireConfigs(files: string[] | undefined): string[] {
  if (!files || files.length === 0) throw new UsageError('--config FILE is required');
  return files;
}

async function load(files: string[]) {
  const [{ loadConfig }, { FactoryRegistry }] = await Promise.all([import('../config/index.js'), import('../registry.js')]);
  return loadConfig({ files, env: process.env, registry: new FactoryRegistry() });
}

async function validate(files: string[]): Promise<number> {
  const { formatProblem } = await import('../config/index.js');
  const result = await load(files);
  if (result.problems.length === 0) {
    process.stdout.write(`${files.join(', ')}: configuration is valid\n`);
    return 0;
  }
  for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
  process.stderr.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found\n`);
  return 1;
}

async function collect(files: string[], shutdownTimeout: string | undefined): Promise<number> {
  const releaseHeap = holdYoungGenerationWhileStarting();
  useLargeHeapGrowingFactor();
  const [{ formatProblem }, { parseDuration }, { DEFAULT_SHUTDOWN_TIMEOUT_MS, startCollector }] = await Promise.all([
    import('../config/index.js'),
    import('../config/schema.js'),
    import('../service/collector.js'),
  ]);
  const timeoutMs = shutdownTimeout === undefined ? DEFAULT_SHUTDOWN_TIMEOUT_MS : parseDuration(shutdownTimeout);
  if (timeoutMs === undefined)
    throw new UsageError(`--shutdown-timeout: expected a duration such as "15s", got "${shutdownTimeout}"`);
  const result = await load(files);
  if (!result.config) {
    for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  const collector = await startCollector({ config: result.config });
  releaseHeap();
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (name: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        collector.logger.warn({ signal: name }, 'second signal: exiting without finishing the drain');
        process.exit(130);
      }
      collector.logger.info({ signal: name }, 'received signal');
      collector.shutdown(timeoutMs).then(
        () => resolve(0),
        (err: unknown) => {
          collector.logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    // `dashboards` has its own flags (cli/dashboards.ts).
    if (argv[0] === 'dashboards') {
      const { DashboardsUsageError, dashboardsCommand } = await import('./dashboards.js');
      usageErrors.push(DashboardsUsageError);
      return await dashboardsCommand(argv.slice(1));
    }
    // `tap` has its own flags (cli/tap.ts).
    if (argv[0] === 'tap') return await (await import('./tap.js')).tapCommand(argv.slice(1));
    // `demo` has its own flags (cli/demo.ts).
    if (argv[0] === 'demo') {
      const { DemoUsageError, demoCommand } = await import('./demo.js');
      usageErrors.push(DemoUsageError);
      return await demoCommand(argv.slice(1));
    }
    const { values, positionals } = parse(argv);
    if (values.version) {
      process.stdout.write(`stitch ${VERSION}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    switch (command) {
      case 'collect':
        return await collect(requireConfigs(values.config), values['shutdown-timeout']);
      case 'validate':
        return await validate(requireConfigs(values.config));
      case 'components': {
        const [{ FactoryRegistry }, { componentRows, componentsText }] = await Promise.all([
          import('../registry.js'),
          import('./components.js'),
        ]);
        const registry = new FactoryRegistry();
        if (values.json) process.stdout.write(`${JSON.stringify(componentRows(registry), null, 2)}\n`);
        else process.stdout.write(`${componentsText(registry)}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (usageErrors.some((type) => err instanceof type)) {
      process.stderr.write(`stitch: ${(err as Error).message}\nRun "stitch --help" for usage.\n`);
      return 2;
    }
    process.stderr.write(`stitch: ${describeFailure(err)}\n`);
    return 1;
  }
}

// Run when executed as the `stitch` bin (not when imported by tests).
if (process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A leftover handle (a client socket a backend keeps open) must not keep a stopped collector alive.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}

/**
 * A start failure as a person reads it: the StitchError and, below it, the coded errors that
 * caused it (`STITCH_ERR_COMPONENT_START` caused by `STITCH_ERR_LISTEN` …); a stack only for bugs.
 */
function describeFailure(err: unknown): string {
  if (!(err instanceof StitchError)) return (err as Error)?.stack ?? String(err);
  const lines = [err.toString()];
  for (let cause = err.cause; cause instanceof StitchError; cause = cause.cause) lines.push(`  caused by ${cause.toString()}`);
  return lines.join('\n');
}
