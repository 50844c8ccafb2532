/**
 * The `file_storage` extension: hands each durable sending queue a directory of its own under
 * `directory` and guards it with a lock file so two collectors never write the same queue.
 */
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component, CreateSettings, Host } from '../../component/component.js';
import { errors } from '../../errors.js';
import type { FileStorageConfig } from './config.js';

/** A directory leased to one queue; `release` gives up the lock (idempotent). */
export interface StorageLease {
  readonly dir: string;
  /** Whether the owner should fdatasync before acknowledging (the extension's `fsync`). */
  readonly fsync: boolean;
  release(): Promise<void>;
  /** Test hook: forget the lock the way a killed process would (the LOCK file stays behind). */
  abandon(): void;
}

/** What a component asks storage for: who it is and which signal's queue. */
export interface StorageOwner {
  kind: string;
  id: string;
  signal: string;
}

/** A storage extension, found through `Host.getExtension(id)` by components that persist state. */
export interface StorageExtension extends Component {
  readonly storageType: 'file_storage';
  /** Creates (when needed) and locks the directory of `owner`. Call after the extension started. */
  acquire(owner: StorageOwner): Promise<StorageLease>;
}

/** True when `ext` is a storage extension. */
export function isStorageExtension(ext: unknown): ext is StorageExtension {
  return typeof (ext as StorageExtension | undefined)?.acquire === 'function';
}

/**
 * A file-name-safe form of a component name: letters, digits, `.`, `-` and `_` stay, every other
 * character (and `~`) becomes `~` plus its code point in 4 hex digits, as the Collector does.
 */
export function sanitizeName(name: string): string {
  let out = '';
  for (const ch of name) {
    out += /^[A-Za-z0-9._-]$/.test(ch) ? ch : `~${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** The subdirectory of an owner: `exporter_<type>[_<name>]_<signal>`. */
export function ownerDirectoryName(owner: StorageOwner): string {
  const slash = owner.id.indexOf('/');
  const type = slash === -1 ? owner.id : owner.id.slice(0, slash);
  const name = slash === -1 ? '' : owner.id.slice(slash + 1);
  return [owner.kind, sanitizeName(type), ...(name ? [sanitizeName(name)] : []), owner.signal].join('_');
}

/** Queue directories locked by this process (a LOCK file with our own pid may be stale). */
const heldHere = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the LOCK file of `dir`. A lock left by a dead process, or by an earlier incarnation with
 * our own pid (pid 1 in a restarted container), is taken over; a live holder is waited for up
 * to `timeoutMs`.
 */
async function lockDirectory(dir: string, timeoutMs: number): Promise<void> {
  const lockPath = join(dir, 'LOCK');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!heldHere.has(dir)) {
      try {
        const fh = await open(lockPath, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        heldHere.add(dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (!Number.isSafeInteger(pid) || pid === process.pid || !pidAlive(pid)) {
        await writeFile(lockPath, String(process.pid));
        heldHere.add(dir);
        return;
      }
    }
    if (Date.now() >= deadline) {
      const holder = heldHere.has(dir)
        ? 'another component of this collector'
        : `process ${await readFile(lockPath, 'utf8').catch(() => '?')}`;
      throw new Error(`${dir} is locked by ${holder} (waited ${timeoutMs} ms)`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates the extension; nothing touches the disk before `start`. */
export function createFileStorage(settings: CreateSettings, config: FileStorageConfig): StorageExtension {
  let started: Promise<void> | undefined;
  const leases = new Set<StorageLease>();
  const fail = (why: string) => errors.STITCH_ERR_COMPONENT_START([settings.id, why]);

  return {
    storageType: 'file_storage',
    start(_host: Host): Promise<void> {
      started ??= (async () => {
        const dir = config.directory;
        const info = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
        if (info instanceof Error) {
          if (info.code !== 'ENOENT') throw fail(`cannot access directory ${dir}: ${info.message}`);
          if (!config.create_directory) {
            throw fail(`directory ${dir} does not exist; create it or set create_directory: true`);
          }
          await mkdir(dir, { recursive: true, mode: Number.parseInt(config.directory_permissions, 8) });
        } else if (!info.isDirectory()) {
          throw fail(`${dir} is not a directory`);
        }
        settings.logger.debug({ directory: dir, fsync: config.fsync }, 'file_storage ready');
      })();
      return started;
    },
    async shutdown() {
      // Owners release their leases in their own shutdown; anything left is released here.
      for (const lease of [...leases]) await lease.release();
    },
    async acquire(owner) {
      if (!started) throw fail(`acquire(${owner.id}) before the extension started`);
      await started;
      const dir = join(config.directory, ownerDirectoryName(owner));
      await mkdir(dir, { recursive: true, mode: Number.parseInt(config.directory_permissions, 8) });
      try {
        await lockDirectory(dir, config.timeout);
      } catch (err) {
        throw fail(`cannot lock the queue directory of ${owner.id}: ${(err as Error).message}`);
      }
      let held = true;
      const lease: StorageLease = {
        dir,
        fsync: config.fsync,
        async release() {
          if (!held) return;
          held = false;
          leases.delete(lease);
          await rm(join(dir, 'LOCK'), { force: true });
          heldHere.delete(dir);
        },
        abandon() {
          held = false;
          leases.delete(lease);
          heldHere.delete(dir);
        },
      };
      leases.add(lease);
      return lease;
    },
  };
}
