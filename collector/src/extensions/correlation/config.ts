import { duration, httpUrl, type Infer, z } from '../../config/schema.js';
import { httpServerFields } from '../../internal/http-server/config.js';

/** The default endpoint of the correlation query API: loopback only, next to health_check's 13133. */
export const DEFAULT_CORRELATION_ENDPOINT = '127.0.0.1:13180';

/**
 * The `correlation` extension's options (Stitch-only, in the Collector's shape): the shared HTTP
 * server options, the index bounds, and optional Grafana links.
 */
export const correlationExtensionConfigSchema = z.strictObject({
  ...httpServerFields(DEFAULT_CORRELATION_ENDPOINT),
  /** Most IDs indexed; the least recently updated is evicted first. */
  max_entries: z.number().int().positive('max_entries must be a positive number').default(20_000),
  /** An ID not seen for this long is forgotten. */
  ttl: duration('1h').refine((ms) => ms > 0, 'ttl must be positive'),
  /** Most entries `GET /api/v1/correlations` returns (its `limit` is capped to this). */
  max_list_limit: z.number().int().positive().default(1000),
  /** Grafana Explore links in the answers; off unless `url` is set. */
  grafana: z
    .strictObject({
      url: httpUrl,
      org_id: z.number().int().positive().default(1),
      /** Datasource UIDs; a link is built for each one that is set. */
      datasources: z
        .strictObject({
          prometheus: z.string().min(1).optional(),
          loki: z.string().min(1).optional(),
          tempo: z.string().min(1).optional(),
        })
        .prefault({}),
    })
    .optional(),
});

/** The parsed `correlation` extension config. */
export type CorrelationExtensionConfig = Infer<typeof correlationExtensionConfigSchema>;
