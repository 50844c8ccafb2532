/** Small OTLP batches for the receiver and exporter tests. */
import Long from 'long';
import type { LogsData, MetricsData, TracesData } from '../../../model/types.js';

/** One span with a resource, a scope and attributes. */
export function sampleTraces(): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            scope: { name: 'test-scope', version: '1.0.0' },
            spans: [
              {
                traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
                spanId: Buffer.from('1112131415161718', 'hex'),
                name: 'GET /cart',
                kind: 2,
                startTimeUnixNano: Long.fromString('1700000000000000000', true),
                endTimeUnixNano: Long.fromString('1700000000500000000', true),
                attributes: [{ key: 'http.response.status_code', value: { intValue: 200 } }],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** One gauge with `points` data points. */
export function sampleMetrics(points = 1): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeMetrics: [
          {
            scope: { name: 'test-scope' },
            metrics: [
              {
                name: 'queue_depth',
                gauge: {
                  dataPoints: Array.from({ length: points }, (_, i) => ({
                    attributes: [{ key: 'queue', value: { stringValue: `q${i}` } }],
                    timeUnixNano: Long.fromString('1700000000000000000', true),
                    asDouble: i + 0.5,
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** One log record with a body, severity and trace context. */
export function sampleLogs(): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeLogs: [
          {
            scope: { name: 'test-scope' },
            logRecords: [
              {
                timeUnixNano: Long.fromString('1700000000000000000', true),
                severityNumber: 17,
                severityText: 'ERROR',
                body: { stringValue: 'payment failed' },
                attributes: [{ key: 'request_id', value: { stringValue: 'r-1' } }],
                traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
                spanId: Buffer.from('1112131415161718', 'hex'),
              },
            ],
          },
        ],
      },
    ],
  };
}
