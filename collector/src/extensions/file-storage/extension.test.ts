import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testHost, testSettings } from '../../testing/index.js';
import { DEFAULT_DIRECTORY, fileStorageConfigSchema } from './config.js';
import { createFileStorage, isStorageExtension, ownerDirectoryName, sanitizeName } from './extension.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'stitch-fs-ext-'));
  dirs.push(d);
  return d;
}
const make = (cfg: Record<string, unknown>) =>
  createFileStorage(testSettings('file_storage/t', 'extension'), fileStorageConfigSchema.parse(cfg));
const owner = { kind: 'exporter', id: 'otlp/primary', signal: 'traces' };

describe('file_storage config', () => {
  it('has the contrib defaults (except our directory) and accepts the compaction block', () => {
    expect(fileStorageConfigSchema.parse({})).toMatchObject({
      directory: DEFAULT_DIRECTORY,
      timeout: 1000,
      fsync: false,
      create_directory: false,
      directory_permissions: '0750',
      compaction: { on_start: false, on_rebound: false, max_transaction_size: 65536, check_interval: 5000 },
    });
    expect(
      fileStorageConfigSchema.safeParse({ compaction: { on_start: true, directory: '/tmp', rebound_needed_threshold_mib: 5 } })
        .success,
    ).toBe(true);
    expect(fileStorageConfigSchema.safeParse({ fsnyc: true }).success).toBe(false);
  });
});

describe('file_storage extension', () => {
  it('names directories after the owner, with unsafe characters escaped as the Collector does', () => {
    expect(ownerDirectoryName(owner)).toBe('exporter_otlp_primary_traces');
    expect(ownerDirectoryName({ kind: 'exporter', id: 'otlp', signal: 'logs' })).toBe('exporter_otlp_logs');
    expect(sanitizeName('logs/container~x')).toBe('logs~002Fcontainer~007Ex');
  });

  it('fails start clearly when the directory is missing, and creates it with create_directory', async () => {
    const root = await tempDir();
    const missing = join(root, 'nope');
    await expect(make({ directory: missing }).start(testHost())).rejects.toMatchObject({
      code: 'STITCH_ERR_COMPONENT_START',
      message: expect.stringMatching(/does not exist; create it or set create_directory: true/),
    });
    const ext = make({ directory: missing, create_directory: true });
    await ext.start(testHost());
    expect((await stat(missing)).isDirectory()).toBe(true);
    expect(isStorageExtension(ext)).toBe(true);
  });

  it('leases one locked directory per owner; a second taker waits `timeout` and fails', async () => {
    const root = await tempDir();
    const ext = make({ directory: root, timeout: '100ms' });
    await ext.start(testHost());
    const lease = await ext.acquire(owner);
    expect(lease.dir).toBe(join(root, 'exporter_otlp_primary_traces'));
    expect(await readFile(join(lease.dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
    const t0 = Date.now();
    await expect(ext.acquire(owner)).rejects.toMatchObject({ message: expect.stringMatching(/locked by another component/) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    await lease.release();
    const again = await ext.acquire(owner);
    await again.release();
    await ext.shutdown();
    await ext.shutdown();
  });

  it('takes over a lock left by a dead process, but not one held by a live process', async () => {
    const root = await tempDir();
    const ext = make({ directory: root, timeout: '100ms' });
    await ext.start(testHost());
    const dir = join(root, ownerDirectoryName(owner));
    const lease = await ext.acquire(owner);
    await lease.release();
    // A live process (sleep) holds the lock.
    const sleeper = spawn('sleep', ['30']);
    try {
      await writeFile(join(dir, 'LOCK'), String(sleeper.pid));
      await expect(ext.acquire(owner)).rejects.toMatchObject({
        message: expect.stringMatching(new RegExp(`locked by process ${sleeper.pid}`)),
      });
    } finally {
      sleeper.kill('SIGKILL');
    }
    await new Promise((r) => sleeper.on('exit', r));
    // Now it is dead: the stale lock is taken over.
    const taken = await ext.acquire(owner);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
    await taken.release();
  });
});
