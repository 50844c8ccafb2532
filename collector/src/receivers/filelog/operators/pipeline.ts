/**
 * Chains the configured operators. Each operator hands entries to the next through a
 * pre-built `emit`, so a line costs no closure allocation. Failures follow `on_error`: `send`
 * and `send_quiet` pass the entry on unchanged, `drop` and `drop_quiet` drop it; every failure
 * is counted (the receiver never logs per line).
 */
import type { Entry } from '../entry.js';
import type { OperatorConfig } from './config.js';
import { createContainerParser } from './container.js';
import type { Emit, LineContext, Operator, OperatorStats } from './operator.js';
import { createJsonParser, createRegexParser } from './parsers.js';
import { createPinoParser } from './pino.js';
import { createAdd, createMove, createRemove } from './transform.js';

/** A built operator chain. */
export interface OperatorPipeline {
  /** Runs one line through the chain; finished entries are pushed to `out`. */
  run(entry: Entry, ctx: LineContext, out: Entry[], stats: OperatorStats): void;
  /** The earliest offset of a record some operator holds back for `source`. */
  pendingStart(source: object): number | undefined;
  /** Emits what is held back for `source` (all of it, or only holds older than `olderThanMs`). */
  flush(source: object, ctx: LineContext, out: Entry[], stats: OperatorStats, olderThanMs?: number): void;
}

/** Creates the operator for one config entry. */
export function createOperator(c: OperatorConfig, maxLogSize: number): Operator {
  switch (c.type) {
    case 'container':
      return createContainerParser(c, maxLogSize);
    case 'json_parser':
      return createJsonParser(c);
    case 'regex_parser':
      return createRegexParser(c);
    case 'pino_parser':
      return createPinoParser(c);
    case 'move':
      return createMove(c);
    case 'remove':
      return createRemove(c);
    case 'add':
      return createAdd(c);
  }
}

/** Builds the chain; an empty list passes lines through as string bodies. */
export function buildPipeline(configs: readonly OperatorConfig[], maxLogSize: number): OperatorPipeline {
  const ops = configs.map((c) => createOperator(c, maxLogSize));
  // Per-call state lives here rather than in closures: run() is called once per line.
  let ctx: LineContext;
  let out: Entry[];
  let stats: OperatorStats;
  const stages: Emit[] = new Array(ops.length + 1);
  stages[ops.length] = (e) => void out.push(e);
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    const next = stages[i + 1];
    stages[i] = (e) => {
      try {
        op.process(e, ctx, next, stats);
      } catch {
        stats.errors.set(op.id, (stats.errors.get(op.id) ?? 0) + 1);
        if (op.onError === 'drop' || op.onError === 'drop_quiet') stats.dropped++;
        else next(e);
      }
    };
  }
  return {
    run(entry, c, o, s) {
      ctx = c;
      out = o;
      stats = s;
      stages[0](entry);
    },
    pendingStart(source) {
      let min: number | undefined;
      for (const op of ops) {
        const p = op.pendingStart?.(source);
        if (p !== undefined && (min === undefined || p < min)) min = p;
      }
      return min;
    },
    flush(source, c, o, s, olderThanMs) {
      ctx = c;
      out = o;
      stats = s;
      for (let i = 0; i < ops.length; i++) ops[i].flush?.(source, stages[i + 1], s, olderThanMs);
    },
  };
}

/** Fresh counters. */
export function newStats(): OperatorStats {
  return { errors: new Map(), dropped: 0, truncated: 0 };
}
