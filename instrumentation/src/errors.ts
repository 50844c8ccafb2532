import { format } from 'node:util';

/**
 * The instrumentation's error catalogue (the collector's shape, kept separate so an app that only
 * installs `@stitch/instrumentation` pulls in no collector code). Callers branch on `code`,
 * `kind` and `retryable`, never on message text.
 */

/** Where an error comes from: `config` (fix the setup call), `input` (bad data), `internal`. */
export type InstrumentationErrorKind = 'config' | 'input' | 'internal';

/** Every error the instrumentation raises; `code` is stable and listed in the README. */
export class InstrumentationError extends Error {
  readonly code: string;
  readonly kind: InstrumentationErrorKind;
  readonly retryable: boolean;

  constructor(code: string, kind: InstrumentationErrorKind, retryable: boolean, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'InstrumentationError';
    this.code = code;
    this.kind = kind;
    this.retryable = retryable;
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

/** A catalogue entry: builds an InstrumentationError from printf-style arguments. */
export interface ErrorDefinition {
  readonly code: string;
  readonly kind: InstrumentationErrorKind;
  readonly retryable: boolean;
  (args: readonly unknown[], cause?: unknown): InstrumentationError;
  /** True when `err` carries this definition's code. */
  is(err: unknown): err is InstrumentationError;
}

function def(code: string, kind: InstrumentationErrorKind, template: string, retryable = false): ErrorDefinition {
  const build = (args: readonly unknown[], cause?: unknown) =>
    new InstrumentationError(code, kind, retryable, format(template, ...args), cause);
  return Object.assign(build, {
    code,
    kind,
    retryable,
    is: (err: unknown): err is InstrumentationError => err instanceof InstrumentationError && err.code === code,
  });
}

/** The catalogue; each key equals its code. */
export const errors = {
  /** An option passed to setupTelemetry / a middleware / the work queue is invalid. */
  STITCH_ERR_INSTR_OPTION: def('STITCH_ERR_INSTR_OPTION', 'config', '%s: %s'),
  /** A middleware was created before setupTelemetry() and without an explicit `telemetry`. */
  STITCH_ERR_INSTR_NO_TELEMETRY: def(
    'STITCH_ERR_INSTR_NO_TELEMETRY',
    'config',
    '%s: no telemetry; call setupTelemetry() first or pass { telemetry }',
  ),
  /** A reconcile threw something that is not an Error (a "panic"): counted in reconcile_panics_total. */
  STITCH_ERR_RECONCILE_PANIC: def('STITCH_ERR_RECONCILE_PANIC', 'internal', 'reconcile of %s panicked: %s', true),
  /** A prom-client registry failed to produce its metrics during an OTLP collection. */
  STITCH_ERR_PROM_COLLECT: def('STITCH_ERR_PROM_COLLECT', 'internal', 'prom-client registry collection failed: %s', true),
} as const;
