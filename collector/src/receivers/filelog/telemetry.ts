/**
 * The filelog receiver's own metrics, beside the shared receiver counters
 * (`stitch_receiver_accepted_items_total`, `..._refused_items_total`). Incremented per batch.
 */
import { type ComponentTelemetry, sharedCounter } from '../../telemetry/self-metrics.js';

const counter = sharedCounter;

/** Counters bound to one filelog receiver. */
export interface FilelogTelemetry {
  truncated(lines: number): void;
  operatorErrors(operator: string, entries: number): void;
  rotations(kind: 'truncate' | 'replace' | 'lost', files: number): void;
}

/** Registers (once per registry) and binds the filelog metrics. */
export function createFilelogTelemetry(t: ComponentTelemetry, filesTracked: () => number): FilelogTelemetry {
  const id = t.componentId;
  const truncated = counter(
    t.registry,
    'stitch_filelog_truncated_lines_total',
    'Lines cut at max_log_size by a filelog receiver.',
    ['component_id'],
  );
  const opErrors = counter(
    t.registry,
    'stitch_filelog_operator_errors_total',
    'Entries an operator failed on (JSON parse errors, regex mismatches, ...), by operator id.',
    ['component_id', 'operator'],
  );
  const rotations = counter(
    t.registry,
    'stitch_filelog_rotations_total',
    'Files found truncated (copytruncate), replaced in place, or gone (renamed away or deleted).',
    ['component_id', 'kind'],
  );
  t.observe('stitch_filelog_files_tracked', 'Files a filelog receiver is following.', filesTracked);
  return {
    truncated: (n) => truncated.inc({ component_id: id }, n),
    operatorErrors: (operator, n) => opErrors.inc({ component_id: id, operator }, n),
    rotations: (kind, n) => rotations.inc({ component_id: id, kind }, n),
  };
}
