/**
 * Options of the `prometheusremotewrite` receiver: the Collector contrib receiver's, which are
 * confighttp.ServerConfig with `endpoint` defaulting to `localhost:9090` (factory.go).
 */
import { z } from '../../config/schema.js';
import { httpServerFields } from '../../internal/http-server/config.js';

/** The strict schema of the `prometheusremotewrite` receiver section. */
export const prometheusRemoteWriteReceiverConfigSchema = z.strictObject({
  ...httpServerFields('localhost:9090'),
});

/** The parsed config. */
export type PrometheusRemoteWriteReceiverConfig = z.output<typeof prometheusRemoteWriteReceiverConfigSchema>;
