/** Test data for the exporterhelper tests: log batches whose records carry numbered IDs. */
import type { LogsData } from '../../model/types.js';

/** A logs batch with one record per id; the body is `item-<id>`. */
export function logsBatch(ids: readonly number[], bodyPadding = ''): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'test' } }] },
        scopeLogs: [
          {
            scope: { name: 'exporterhelper-test' },
            logRecords: ids.map((id) => ({ body: { stringValue: `item-${id}${bodyPadding}` }, attributes: [] })),
          },
        ],
      },
    ],
  };
}

/** The ids carried by a batch built with `logsBatch`. */
export function idsOf(batch: LogsData): number[] {
  const out: number[] = [];
  for (const rl of batch.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        const m = /^item-(\d+)/.exec(r.body?.stringValue ?? '');
        if (m) out.push(Number(m[1]));
      }
    }
  }
  return out;
}
