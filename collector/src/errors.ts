import { format } from 'node:util';

/**
 * Where an error comes from. Callers branch on this and on `retryable`, never on message text:
 * - `config`: the user's configuration is wrong; fix it and restart.
 * - `input`: a sender gave us bad data; reject it (400 / INVALID_ARGUMENT) and count it.
 * - `downstream`: a consumer or backend refused or failed; `retryable` says whether to try again.
 * - `internal`: a bug or an environment failure (disk, permissions).
 */
export type ErrorKind = 'config' | 'input' | 'downstream' | 'internal';

/** Extra facts an error can carry; all optional. */
export interface StitchErrorOptions {
  cause?: unknown;
  /** Dotted config path (`exporters.loki/primary.endpoint`) or data path. */
  path?: string;
  /** `file:line:column` of the offending config node, when known. */
  location?: string;
  /** Overrides the catalogue's default for this one instance. */
  retryable?: boolean;
  /** The delay a retryable refusal asks for (becomes `Retry-After` / `RetryInfo`). */
  retryAfterMs?: number;
}

/**
 * Every error Stitch raises. `code` is stable and documented in docs/errors.md;
 * the message says what was expected, what arrived and where.
 */
export class StitchError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly path?: string;
  readonly location?: string;
  readonly retryAfterMs?: number;

  constructor(code: string, kind: ErrorKind, retryable: boolean, message: string, options: StitchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StitchError';
    this.code = code;
    this.kind = kind;
    this.retryable = options.retryable ?? retryable;
    if (options.path !== undefined) this.path = options.path;
    if (options.location !== undefined) this.location = options.location;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

/** A catalogue entry: builds a StitchError from printf-style arguments. */
export interface ErrorDefinition {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly template: string;
  (args: readonly unknown[], options?: StitchErrorOptions): StitchError;
  /** True when `err` is a StitchError with this definition's code. */
  is(err: unknown): err is StitchError;
}

function def(code: string, kind: ErrorKind, template: string, retryable = false): ErrorDefinition {
  const build = (args: readonly unknown[], options?: StitchErrorOptions) =>
    new StitchError(code, kind, retryable, format(template, ...args), options);
  return Object.assign(build, {
    code,
    kind,
    retryable,
    template,
    is: (err: unknown): err is StitchError => err instanceof StitchError && err.code === code,
  });
}

/**
 * The catalogue, grouped by area (fastify's lib/errors.js shape). Each key equals its code;
 * docs/errors.md documents every entry and a test keeps the two in sync.
 */
export const errors = {
  // config: loading and decoding
  STITCH_ERR_CONFIG_FILE: def('STITCH_ERR_CONFIG_FILE', 'config', 'cannot read config file %s: %s'),
  STITCH_ERR_CONFIG_YAML: def('STITCH_ERR_CONFIG_YAML', 'config', 'invalid YAML: %s'),
  STITCH_ERR_CONFIG_ENV: def('STITCH_ERR_CONFIG_ENV', 'config', '%s'),
  STITCH_ERR_CONFIG_UNKNOWN_KEY: def('STITCH_ERR_CONFIG_UNKNOWN_KEY', 'config', 'unknown key %s%s'),
  STITCH_ERR_CONFIG_INVALID_VALUE: def('STITCH_ERR_CONFIG_INVALID_VALUE', 'config', '%s'),
  STITCH_ERR_CONFIG_MISSING: def('STITCH_ERR_CONFIG_MISSING', 'config', 'missing required option %s'),
  STITCH_ERR_CONFIG_COMPONENT_ID: def('STITCH_ERR_CONFIG_COMPONENT_ID', 'config', 'invalid component id %j: %s'),
  STITCH_ERR_CONFIG_UNSUPPORTED_COMPONENT: def(
    'STITCH_ERR_CONFIG_UNSUPPORTED_COMPONENT',
    'config',
    'unsupported %s type %j; supported: %s',
  ),
  STITCH_ERR_CONFIG_PROVIDER: def('STITCH_ERR_CONFIG_PROVIDER', 'config', 'unsupported config provider %s; supported: %s'),
  STITCH_ERR_CONFIG_UNSUPPORTED_OPTION: def(
    'STITCH_ERR_CONFIG_UNSUPPORTED_OPTION',
    'config',
    '%s is not supported by Stitch: %s',
  ),
  STITCH_ERR_CONFIG_AMBIGUOUS_ID: def(
    'STITCH_ERR_CONFIG_AMBIGUOUS_ID',
    'config',
    'ID %j names both %s and a connector; rename one of them (e.g. %j)',
  ),
  // config: pipelines and service
  STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT: def(
    'STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT',
    'config',
    'references %s %j which is not configured',
  ),
  STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED: def('STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED', 'config', '%s %j does not support %s'),
  STITCH_ERR_PIPELINE_NO_RECEIVERS: def('STITCH_ERR_PIPELINE_NO_RECEIVERS', 'config', 'must have at least one receiver'),
  STITCH_ERR_PIPELINE_NO_EXPORTERS: def('STITCH_ERR_PIPELINE_NO_EXPORTERS', 'config', 'must have at least one exporter'),
  STITCH_ERR_PIPELINE_DUPLICATE: def('STITCH_ERR_PIPELINE_DUPLICATE', 'config', 'references %s %j multiple times'),
  STITCH_ERR_PIPELINE_ID: def('STITCH_ERR_PIPELINE_ID', 'config', 'invalid pipeline id %j: %s'),
  STITCH_ERR_PIPELINE_CONNECTOR_UNUSED: def(
    'STITCH_ERR_PIPELINE_CONNECTOR_UNUSED',
    'config',
    'connector %j must be used as an exporter in one pipeline and as a receiver in another; %s',
  ),
  STITCH_ERR_PIPELINE_CYCLE: def('STITCH_ERR_PIPELINE_CYCLE', 'config', 'pipelines form a cycle through %s'),
  STITCH_ERR_PIPELINE_NONE: def('STITCH_ERR_PIPELINE_NONE', 'config', 'service.pipelines: at least one pipeline is required'),
  STITCH_ERR_EXTENSION_UNDEFINED: def(
    'STITCH_ERR_EXTENSION_UNDEFINED',
    'config',
    'references extension %j which is not configured',
  ),
  STITCH_ERR_CONFIG_INVALID: def('STITCH_ERR_CONFIG_INVALID', 'config', 'invalid configuration:\n%s'),

  // lifecycle
  STITCH_ERR_COMPONENT_START: def('STITCH_ERR_COMPONENT_START', 'internal', 'failed to start %s: %s'),
  STITCH_ERR_SHUTDOWN: def('STITCH_ERR_SHUTDOWN', 'downstream', '%s is shut down and accepts no more data'),
  STITCH_ERR_LISTEN: def('STITCH_ERR_LISTEN', 'config', '%s cannot listen on %s: %s'),
  STITCH_ERR_COMPONENT_NOT_LOADED: def(
    'STITCH_ERR_COMPONENT_NOT_LOADED',
    'internal',
    "%s: create() was called before the factory's load() resolved",
  ),

  // input: data from senders
  STITCH_ERR_DECODE: def('STITCH_ERR_DECODE', 'input', 'cannot decode %s: %s'),
  STITCH_ERR_BODY_TOO_LARGE: def('STITCH_ERR_BODY_TOO_LARGE', 'input', 'request body exceeds the limit of %d bytes'),
  STITCH_ERR_UNSUPPORTED_MEDIA_TYPE: def(
    'STITCH_ERR_UNSUPPORTED_MEDIA_TYPE',
    'input',
    'unsupported content type %j; expected application/x-protobuf or application/json',
  ),
  STITCH_ERR_UNSUPPORTED_ENCODING: def('STITCH_ERR_UNSUPPORTED_ENCODING', 'input', 'unsupported content encoding %j'),
  STITCH_ERR_UNAUTHENTICATED: def('STITCH_ERR_UNAUTHENTICATED', 'input', 'authentication failed: %s'),

  // downstream: consumers and backends
  STITCH_ERR_MEMORY_LIMIT: def(
    'STITCH_ERR_MEMORY_LIMIT',
    'downstream',
    'data refused: memory usage %d MiB is above the soft limit of %d MiB',
    true,
  ),
  STITCH_ERR_QUEUE_FULL: def('STITCH_ERR_QUEUE_FULL', 'downstream', 'sending queue of %s is full (%s)', true),
  STITCH_ERR_QUEUE_STORAGE: def(
    'STITCH_ERR_QUEUE_STORAGE',
    'downstream',
    'durable sending queue of %s cannot write to %s: %s',
    true,
  ),
  STITCH_ERR_EXPORT_RETRYABLE: def('STITCH_ERR_EXPORT_RETRYABLE', 'downstream', '%s: %s', true),
  STITCH_ERR_EXPORT_PERMANENT: def('STITCH_ERR_EXPORT_PERMANENT', 'downstream', '%s: %s'),
  STITCH_ERR_TIMEOUT: def('STITCH_ERR_TIMEOUT', 'downstream', '%s timed out after %d ms', true),
  STITCH_ERR_BATCH_METADATA_CARDINALITY: def(
    'STITCH_ERR_BATCH_METADATA_CARDINALITY',
    'downstream',
    '%s: too many distinct metadata value combinations (metadata_cardinality_limit is %d)',
  ),

  // kubernetes API (k8sattributes)
  STITCH_ERR_K8S_CONFIG: def('STITCH_ERR_K8S_CONFIG', 'config', 'cannot connect to the Kubernetes API with auth_type %s: %s'),
  STITCH_ERR_K8S_API: def('STITCH_ERR_K8S_API', 'downstream', 'Kubernetes API %s %s failed: %s', true),
  STITCH_ERR_K8S_METADATA_TIMEOUT: def(
    'STITCH_ERR_K8S_METADATA_TIMEOUT',
    'downstream',
    '%s: pod metadata was not synced within %d ms (wait_for_metadata_timeout)',
  ),

  // processors: filter; the tap admin endpoint
  STITCH_ERR_FILTER_EVALUATION: def('STITCH_ERR_FILTER_EVALUATION', 'downstream', '%s: a condition failed to evaluate: %s'),
  STITCH_ERR_TAP_POINT: def('STITCH_ERR_TAP_POINT', 'input', 'no tap point %s; available: %s'),
} as const satisfies Record<string, ErrorDefinition>;

/** Every code in the catalogue. */
export type ErrorCode = keyof typeof errors;

/** True when `err` should be retried by the sender: a retryable StitchError, or an unknown failure. */
export function isRetryable(err: unknown): boolean {
  return err instanceof StitchError ? err.retryable : true;
}

/** True for errors the sender must not retry (the Collector's consumererror.IsPermanent). */
export function isPermanent(err: unknown): boolean {
  return err instanceof StitchError && !err.retryable;
}
