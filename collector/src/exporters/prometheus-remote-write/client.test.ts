import { describe, expect, it } from 'vitest';
import { parseRetryAfter, responseError } from './client.js';

describe('response mapping', () => {
  it('treats 2xx as success', () => {
    expect(responseError('prw', 200, undefined, '')).toBeUndefined();
    expect(responseError('prw', 204, undefined, '')).toBeUndefined();
  });

  it.each([500, 502, 503, 429])('makes %d retryable', (status) => {
    const err = responseError('prw', status, undefined, 'busy');
    expect(err).toMatchObject({ code: 'STITCH_ERR_EXPORT_RETRYABLE', retryable: true });
    expect(err?.message).toContain(`HTTP ${status}: busy`);
  });

  it('honours Retry-After on 429 and 503', () => {
    expect(responseError('prw', 429, '3', '')?.retryAfterMs).toBe(3000);
    expect(responseError('prw', 503, ['1'], '')?.retryAfterMs).toBe(1000);
  });

  it.each([400, 401, 404, 413])('makes %d permanent, keeping the server message', (status) => {
    const err = responseError('prw', status, undefined, 'out of order sample\n');
    expect(err).toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT', retryable: false });
    expect(err?.message).toBe(`prw: HTTP ${status}: out of order sample`);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
