/** The runtime contract of an operator, shared by the operator implementations and the pipeline. */
import type { Entry } from '../entry.js';

/** Where the line being processed came from. */
export interface LineContext {
  /** Identity of the file being read (the reader); stateful operators key their state by it. */
  source: object;
  /** The file's path when it was opened. */
  filePath: string;
  /** Byte offset of the line's first byte, and just past its newline. */
  lineStart: number;
  lineEnd: number;
}

/** Hands an entry to the next operator (or to the output). */
export type Emit = (entry: Entry) => void;

/** Error and truncation counts, summed per read and turned into metrics per batch. */
export interface OperatorStats {
  /** Entries an operator failed on, by operator id. */
  errors: Map<string, number>;
  /** Entries dropped because of `on_error: drop|drop_quiet`. */
  dropped: number;
  /** Records cut at `max_log_size` while joining partial lines. */
  truncated: number;
}

/** One operator. `process` calls `emit` zero or more times; it may throw to report a failure. */
export interface Operator {
  readonly id: string;
  readonly onError: 'send' | 'send_quiet' | 'drop' | 'drop_quiet';
  /** True when the operator emits the entry itself, even on error (the container parser). */
  readonly emitsOnError?: boolean;
  process(entry: Entry, ctx: LineContext, emit: Emit, stats: OperatorStats): void;
  /** The offset where a record held back for `source` starts (checkpoints must not pass it). */
  pendingStart?(source: object): number | undefined;
  /** Emits whatever is held back for `source` (the file is gone or the hold is stale). */
  flush?(source: object, emit: Emit, stats: OperatorStats, olderThanMs?: number): void;
}
