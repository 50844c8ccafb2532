import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { ThrottledLog } from './throttled-log.js';

function capture() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as unknown as Logger;
  return { lines, logger };
}

describe('ThrottledLog', () => {
  it('logs the first event of a kind at once and folds the rest into one summary per interval', async () => {
    const { lines, logger } = capture();
    const log = new ThrottledLog(logger, 50);
    log.note('too_old', 3, undefined, 'refused', { status: 400 });
    log.note('too_old', 4, undefined, 'refused', { status: 400 });
    log.note('too_old', 5, new Error('last'), 'refused', { status: 429 });
    log.note('queue_full', 1, undefined, 'full');
    expect(lines.map((l) => l.obj)).toEqual([
      { status: 400, reason: 'too_old', items: 3, err: undefined },
      { reason: 'queue_full', items: 1, err: undefined },
    ]);
    // The summary comes when the interval ends, without another event to trigger it.
    const deadline = Date.now() + 2000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(lines[2]?.obj).toMatchObject({ status: 429, reason: 'too_old', items: 9, batches: 2 });
    expect(lines[2]?.msg).toBe('refused (2 more times since the last report)');
  });

  it('flush logs what is held back at once and nothing twice', () => {
    const { lines, logger } = capture();
    const log = new ThrottledLog(logger, 60_000);
    log.note('x', 1, undefined, 'dropped');
    log.note('x', 2, undefined, 'dropped');
    log.flush();
    log.flush();
    expect(lines.map((l) => l.obj.items)).toEqual([1, 2]);
  });
});
