import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testHost, testSettings } from '../../testing/index.js';
import { bearerTokenAuthConfigSchema } from './config.js';
import { createBearerTokenAuth } from './extension.js';

const make = (cfg: Record<string, unknown>) =>
  createBearerTokenAuth(testSettings('bearertokenauth', 'extension'), bearerTokenAuthConfigSchema.parse(cfg));

describe('bearertokenauth', () => {
  it('checks the scheme, the token and the header name', async () => {
    const auth = make({ tokens: ['a1', 'b2'], header: 'X-Api-Key', scheme: '' });
    await expect(auth.authenticate({ 'x-api-key': 'b2' })).resolves.toBeUndefined();
    await expect(auth.authenticate({ 'x-api-key': 'Bearer b2' })).rejects.toMatchObject({ code: 'STITCH_ERR_UNAUTHENTICATED' });
    await expect(auth.authenticate({ authorization: 'b2' })).rejects.toMatchObject({ code: 'STITCH_ERR_UNAUTHENTICATED' });
    expect(await auth.headers()).toEqual({ 'x-api-key': 'a1' });
    const bearer = make({ token: 't' });
    await expect(bearer.authenticate({ authorization: 'Bearer t' })).resolves.toBeUndefined();
    expect(await bearer.headers()).toEqual({ authorization: 'Bearer t' });
  });

  it('needs exactly one token source', () => {
    expect(bearerTokenAuthConfigSchema.safeParse({}).success).toBe(false);
    expect(bearerTokenAuthConfigSchema.safeParse({ token: 'a', filename: '/x' }).success).toBe(false);
  });

  it('reads the token file at start and again when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bearer-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'first\n');
    const auth = make({ filename: file });
    await auth.start(testHost());
    await expect(auth.authenticate({ authorization: 'Bearer first' })).resolves.toBeUndefined();
    writeFileSync(file, 'second\n');
    const deadline = Date.now() + 5000;
    while ((await auth.headers()).authorization !== 'Bearer second') {
      if (Date.now() > deadline) throw new Error('token file was not re-read');
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect(auth.authenticate({ authorization: 'Bearer first' })).rejects.toMatchObject({
      code: 'STITCH_ERR_UNAUTHENTICATED',
    });
    await auth.shutdown();
    await auth.shutdown();
  });

  it('fails to start when the token file is missing', async () => {
    await expect(make({ filename: '/nonexistent/token' }).start(testHost())).rejects.toMatchObject({
      code: 'STITCH_ERR_COMPONENT_START',
    });
  });
});
