/**
 * Typed LogQL building over the catalogue's Loki names. IDs live in structured metadata, so a
 * query selects every Stitch stream and filters on the metadata key after the first `|`.
 */
import type { CorrelationIdName, LokiMetadataKey, LokiStreamLabel } from './catalogue.js';

/** A stream selector matching every stream the loki exporter writes (all carry `service_name`). */
export const ALL_STREAMS = '{service_name=~".+"}';

/** `{…} | key!="" | key="value"`: lines whose metadata `key` equals `value` (never lines without it). */
export function metadataEquals(key: LokiMetadataKey, value: string, selector: string = ALL_STREAMS): string {
  return `${selector} | ${key}!="" | ${key}=${JSON.stringify(value)}`;
}

/** The log lines of one correlation ID, from the drill-down's variable of the same name. */
export function linesOf(id: CorrelationIdName): string {
  return metadataEquals(id, `$${id}`);
}

/** `sum by (labels) (count_over_time(<logs>[range]))`. */
export function countBy(by: readonly (LokiStreamLabel | LokiMetadataKey)[], logs: string, range = '$__interval'): string {
  return `sum by (${by.join(', ')}) (count_over_time(${logs} [${range}]))`;
}
