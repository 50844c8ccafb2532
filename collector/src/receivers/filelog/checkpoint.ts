/**
 * Checkpoints: for every known file, a hash of its fingerprint and the offset up to which the
 * pipeline accepted its lines. Stored as one small JSON document, written to a temporary file and
 * renamed over the old one, so a crash leaves either the old or the new checkpoint, never half.
 * Fingerprints are stored as SHA-256 prefixes of the first `length` bytes: 500 files make a
 * ~50 kB document instead of ~700 kB of raw fingerprints.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** One file's checkpoint. */
export interface Checkpoint {
  /** Hex SHA-256 prefix of the fingerprint bytes. */
  readonly hash: string;
  /** Length of the fingerprint the hash covers. */
  readonly length: number;
  /** Everything before this byte was accepted downstream. */
  readonly offset: number;
  /** The path the file had (for humans reading the document). */
  readonly path: string;
}

/** Where checkpoints live. `save` replaces the whole set. */
export interface CheckpointStore {
  load(): Promise<Checkpoint[]>;
  save(checkpoints: readonly Checkpoint[]): Promise<void>;
  close(): Promise<void>;
}

/** Hash of a fingerprint, as stored. */
export function fingerprintHash(fp: Uint8Array, length = fp.length): string {
  return createHash('sha256').update(fp.subarray(0, length)).digest('hex').slice(0, 32);
}

const FILE = 'checkpoints.json';

/**
 * A store in `directory` (created when missing). `fsync` flushes each write to disk before the
 * rename, for power-loss safety; without it a process crash still never loses a checkpoint.
 */
export function createFileCheckpointStore(directory: string, options: { fsync?: boolean } = {}): CheckpointStore {
  const path = join(directory, FILE);
  const tmp = `${path}.tmp`;
  let ready: Promise<unknown> | undefined;
  return {
    async load() {
      ready ??= mkdir(directory, { recursive: true });
      await ready;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const doc = JSON.parse(text) as { version?: number; files?: [string, number, number, string][] };
      if (doc.version !== 1 || !Array.isArray(doc.files)) throw new Error(`${path}: unknown checkpoint format`);
      return doc.files.map(([hash, length, offset, p]) => ({ hash, length, offset, path: p }));
    },
    async save(checkpoints) {
      ready ??= mkdir(directory, { recursive: true });
      await ready;
      const doc = JSON.stringify({ version: 1, files: checkpoints.map((c) => [c.hash, c.length, c.offset, c.path]) });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(doc);
        if (options.fsync) await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    },
    async close() {},
  };
}

/** A store that keeps nothing across restarts (no `storage` configured), as the Collector does. */
export function createMemoryCheckpointStore(): CheckpointStore {
  let saved: Checkpoint[] = [];
  return {
    load: async () => saved,
    save: async (c) => {
      saved = [...c];
    },
    close: async () => {},
  };
}
