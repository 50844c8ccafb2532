/** The `move`, `remove` and `add` transformers. */
import { deleteField, setField } from './field.js';
import type { Operator } from './operator.js';
import { field } from './parser-helper.js';

/** `move`: takes the value at `from` and puts it at `to`; a missing `from` is an error. */
export function createMove(c: { id?: string | undefined; on_error: Operator['onError']; from: string; to: string }): Operator {
  const from = field(c.from);
  const to = field(c.to);
  return {
    id: c.id ?? 'move',
    onError: c.on_error,
    process(entry, _ctx, emit) {
      const v = deleteField(entry, from);
      if (v === undefined) throw new Error(`move: field ${from.text} does not exist`);
      setField(entry, to, v);
      emit(entry);
    },
  };
}

/** `remove`: deletes `field` (absent is fine). */
export function createRemove(c: { id?: string | undefined; on_error: Operator['onError']; field: string }): Operator {
  const f = field(c.field);
  return {
    id: c.id ?? 'remove',
    onError: c.on_error,
    process(entry, _ctx, emit) {
      deleteField(entry, f);
      emit(entry);
    },
  };
}

/** `add`: sets `field` to a literal `value` (maps and lists are copied per entry). */
export function createAdd(c: {
  id?: string | undefined;
  on_error: Operator['onError'];
  field: string;
  value: unknown;
}): Operator {
  const f = field(c.field);
  const value = c.value;
  const copy = value !== null && typeof value === 'object';
  return {
    id: c.id ?? 'add',
    onError: c.on_error,
    process(entry, _ctx, emit) {
      setField(entry, f, copy ? structuredClone(value) : value);
      emit(entry);
    },
  };
}
