/**
 * How the otlp and otlphttp exporters turn a server's answer into the exporterhelper's terms:
 * retryable (with the delay the server asked for) or permanent (with the server's message),
 * per the OTLP/HTTP and OTLP/gRPC specs' "retryable" lists.
 */
import * as grpc from '@grpc/grpc-js';
import { errors, type StitchError } from '../../errors.js';
import { parseRetryAfter } from '../../exporterhelper/retry.js';
import { decodeStatus, type OtlpEncoding } from '../../model/otlp-codec.js';

/** HTTP statuses the OTLP/HTTP spec says to retry. */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

/** gRPC codes the OTLP/gRPC spec says to retry (RESOURCE_EXHAUSTED only with RetryInfo). */
const RETRYABLE_GRPC = new Set<number>([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

/** The body's content type as a codec encoding (the Status of an error response). */
function bodyEncoding(contentType: string | undefined): OtlpEncoding | undefined {
  const media = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/**
 * The error for a non-2xx OTLP/HTTP response. The message is the server's google.rpc.Status
 * message when it sent one, else the start of the body.
 */
export function httpResponseError(
  exporterId: string,
  statusCode: number,
  headers: { contentType?: string | undefined; retryAfter?: string | undefined },
  body: Buffer,
): StitchError {
  const encoding = bodyEncoding(headers.contentType);
  const status = encoding ? decodeStatus(body, encoding) : undefined;
  const text = status?.message || body.subarray(0, 512).toString('utf8').trim();
  const detail = `HTTP ${statusCode}${text ? `: ${text}` : ''}`;
  if (RETRYABLE_HTTP.has(statusCode)) {
    const retryAfterMs = parseRetryAfter(headers.retryAfter) ?? status?.retryAfterMs;
    return errors.STITCH_ERR_EXPORT_RETRYABLE([exporterId, detail], retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  return errors.STITCH_ERR_EXPORT_PERMANENT([exporterId, detail]);
}

/** The error for a failed OTLP/gRPC call, using the RetryInfo in grpc-status-details-bin. */
export function grpcCallError(exporterId: string, err: grpc.ServiceError): StitchError {
  const bin = err.metadata?.get('grpc-status-details-bin')[0];
  const status = Buffer.isBuffer(bin) ? decodeStatus(bin, 'protobuf') : undefined;
  const retryAfterMs = status?.retryAfterMs;
  const name = grpc.status[err.code] ?? String(err.code);
  const detail = `gRPC ${name}: ${err.details || status?.message || ''}`.trim();
  const retryable = RETRYABLE_GRPC.has(err.code) || (err.code === grpc.status.RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
  if (retryable) {
    return errors.STITCH_ERR_EXPORT_RETRYABLE([exporterId, detail], {
      cause: err,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return errors.STITCH_ERR_EXPORT_PERMANENT([exporterId, detail], { cause: err });
}
