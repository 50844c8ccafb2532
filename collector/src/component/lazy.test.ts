import { describe, expect, it } from 'vitest';
import type { ExtensionFactory, Factory } from './component.js';
import { lazyImplementation, loadFactories } from './lazy.js';

/** An extension factory over a lazy "module" whose import the test controls. */
function fakeFactory(type: string, importer: () => Promise<{ make(): string }>) {
  const impl = lazyImplementation(`extension/${type}`, importer);
  const factory = {
    type,
    kind: 'extension',
    description: 'a test extension loaded on demand',
    stability: 'development',
    configSchema: {} as never,
    load: impl.load,
    create: () => ({ start: async () => {}, shutdown: async () => {}, made: impl.get().make() }),
  } satisfies ExtensionFactory;
  return { impl, factory };
}

describe('lazyImplementation', () => {
  it('get() before load() throws STITCH_ERR_COMPONENT_NOT_LOADED naming the factory', () => {
    const { impl, factory } = fakeFactory('early', async () => ({ make: () => 'x' }));
    expect(impl.loaded).toBe(false);
    expect(() => factory.create()).toThrow(
      expect.objectContaining({ code: 'STITCH_ERR_COMPONENT_NOT_LOADED', kind: 'internal' }),
    );
    expect(() => impl.get()).toThrow(/extension\/early: create\(\) was called before/);
  });

  it('imports once however often and concurrently load() is called; create then works synchronously', async () => {
    let imports = 0;
    const { impl, factory } = fakeFactory('once', async () => {
      imports++;
      return { make: () => 'made' };
    });
    await Promise.all([factory.load(), factory.load(), loadFactories([factory, factory])]);
    await factory.load();
    expect(imports).toBe(1);
    expect(impl.loaded).toBe(true);
    expect(factory.create().made).toBe('made');
  });

  it('a failed import is retried by the next load()', async () => {
    let attempt = 0;
    const { impl } = fakeFactory('flaky', async () => {
      attempt++;
      if (attempt === 1) throw new Error('native binding missing');
      return { make: () => 'ok' };
    });
    await expect(impl.load()).rejects.toThrow('native binding missing');
    expect(impl.loaded).toBe(false);
    await impl.load();
    expect(impl.get().make()).toBe('ok');
  });
});

describe('loadFactories', () => {
  it('skips eager factories (no load) and loads lazy ones', async () => {
    const eager = { type: 'eager', kind: 'extension', create: () => ({}) } as unknown as Factory;
    const { impl, factory } = fakeFactory('lazy', async () => ({ make: () => 'y' }));
    await loadFactories([eager, factory]);
    expect(impl.loaded).toBe(true);
  });

  it('rejects with STITCH_ERR_COMPONENT_START naming the component whose implementation failed to import', async () => {
    const { factory } = fakeFactory('broken', async () => {
      throw new Error('Cannot find module snappy');
    });
    const err = await loadFactories([factory]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STITCH_ERR_COMPONENT_START' });
    expect(String((err as Error).message)).toContain('extension/broken');
    expect(String((err as Error).message)).toContain('Cannot find module snappy');
  });
});
