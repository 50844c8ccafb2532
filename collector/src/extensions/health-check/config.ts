import { duration, type Infer, z } from '../../config/schema.js';
import { httpServerFields } from '../../internal/http-server/config.js';

/** The health_check extension's options: the contrib healthcheckextension's names and defaults. */
export const healthCheckConfigSchema = z.strictObject({
  ...httpServerFields('localhost:13133'),
  /** The path served; a path ending in `/` also answers everything below it (Go ServeMux rules). */
  path: z.string().startsWith('/', 'path must start with /').default('/'),
  /** Static bodies replacing the default JSON status. */
  response_body: z
    .strictObject({
      healthy: z.string().default(''),
      unhealthy: z.string().default(''),
    })
    .optional(),
  /** Deprecated in contrib and not working as intended there; accepted and ignored (a warning is logged when enabled). */
  check_collector_pipeline: z
    .strictObject({
      enabled: z.boolean().default(false),
      interval: duration('5m'),
      exporter_failure_threshold: z.number().int().positive('exporter_failure_threshold expects a positive number').default(5),
    })
    .prefault({}),
});

/** The parsed health_check config. */
export type HealthCheckConfig = Infer<typeof healthCheckConfigSchema>;
