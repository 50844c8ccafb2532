import { describe, expect, it } from 'vitest';
import { hostPort } from './schema.js';

describe('hostPort', () => {
  it('accepts host:port, :port and [v6]:port up to 65535', () => {
    for (const ok of ['127.0.0.1:4318', ':4318', 'localhost:0', '[::1]:65535']) expect(hostPort.safeParse(ok).success).toBe(true);
  });

  it('refuses a port above 65535 with one clear message (stitch validate used to call it valid)', () => {
    const r = hostPort.safeParse('127.0.0.1:99999');
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(['the port must be between 0 and 65535']);
    expect(hostPort.safeParse('no-port').error?.issues).toHaveLength(1);
  });
});
