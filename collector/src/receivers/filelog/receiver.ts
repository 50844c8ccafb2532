/**
 * The `filelog` receiver: polls the files matching `include` (minus `exclude`), identifies each
 * by its fingerprint, reads new lines in bounded rounds, runs them through the operators and
 * hands each round to the pipeline as one batch. Offsets advance, and are checkpointed, only
 * after the pipeline accepted the batch; while it refuses, nothing more is read.
 *
 * One poll:
 *   1. list the paths, stat them and match each to a tracked file (by inode, then fingerprint
 *      against checkpoints); new files start at the beginning, except at the very first poll
 *      with `start_at: end`;
 *   2. files no longer matched (renamed away, deleted) are "lost": their open handle is read to
 *      the end, then closed;
 *   3. read rounds: up to `max_concurrent_files / 2` files at a time, at most ~1 MiB per round;
 *      each round is one batch → consume → (accepted) commit offsets → save checkpoints.
 */
import type { Stats } from 'node:fs';
import { glob, open, realpath, stat } from 'node:fs/promises';
import { matchesGlob, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Long from 'long';
import type { Component, Consumer, CreateSettings, Host } from '../../component/component.js';
import { errors, StitchError } from '../../errors.js';
import type { RetryConfig } from '../../exporterhelper/config.js';
import { sendWithRetry } from '../../exporterhelper/retry.js';
import { isStorageExtension, type StorageLease } from '../../extensions/file-storage/extension.js';
import { nowNanos } from '../../model/time.js';
import type { LogsData } from '../../model/types.js';
import type { DropReason } from '../../telemetry/self-metrics.js';
import {
  type Checkpoint,
  type CheckpointStore,
  createFileCheckpointStore,
  createMemoryCheckpointStore,
  fingerprintHash,
} from './checkpoint.js';
import type { FilelogConfig } from './config.js';
import { type Entry, newEntry, toLogsData } from './entry.js';
import type { LineContext, OperatorStats } from './operators/operator.js';
import { buildPipeline, newStats } from './operators/pipeline.js';
import { FileReader } from './reader.js';
import { createFilelogTelemetry } from './telemetry.js';

/**
 * Bytes read per round across all files (bounds memory and batch size). A round's lines are
 * objects from parsing until the exporter has encoded them; at 1 MiB (~3000 pino lines, ~9 MiB
 * of objects) they outlived V8's young generation and were copied and promoted, and catch-up
 * ran ~20% slower at twice the RSS (bench/README.md, "What the fourth session changed").
 */
const ROUND_BUDGET_BYTES = 256 * 1024;
/**
 * Bytes of rounds read ahead while earlier ones wait for the pipeline: ~9000 pino lines, a full
 * `batch`. Bounded in bytes, not rounds: with hundreds of active files a round is up to
 * `max_concurrent_files / 2` × MIN_CHUNK_BYTES.
 */
const MAX_BYTES_IN_FLIGHT = 12 * ROUND_BUDGET_BYTES;
const MIN_CHUNK_BYTES = 4 * 1024;
const MAX_CHUNK_BYTES = 256 * 1024;
/** A joined partial line still waiting for its end after this long is sent as it is. */
const FORCE_FLUSH_MS = 5000;
/** Checkpoints of files not seen for this many polls are forgotten (the Collector keeps 3). */
const ARCHIVE_POLLS = 3;

/** Options for tests and embedding: where checkpoints go when no `storage` extension is set. */
export interface FilelogReceiverOptions {
  readonly checkpointStore?: CheckpointStore;
}

/** A running filelog receiver, with hooks tests use. */
export interface FilelogReceiver extends Component {
  /** Runs one poll now (tests). Resolves when its rounds are done. */
  pollNow(): Promise<void>;
  /** Files being followed. */
  readonly filesTracked: number;
}

function dropReason(err: unknown): DropReason {
  if (err instanceof StitchError) {
    if (err.code === errors.STITCH_ERR_MEMORY_LIMIT.code) return 'memory_limit';
    if (err.code === errors.STITCH_ERR_QUEUE_FULL.code) return 'queue_full';
    if (err.code === errors.STITCH_ERR_SHUTDOWN.code) return 'shutdown';
    if (!err.retryable) return 'permanent_error';
  }
  return 'downstream_error';
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function readFingerprint(fh: import('node:fs/promises').FileHandle, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, 0);
  return bytesRead === length ? buf : buf.subarray(0, bytesRead);
}

/** Creates the receiver; nothing touches the disk before `start`. */
export function createFilelogReceiver(
  settings: CreateSettings,
  config: FilelogConfig,
  next: Consumer<LogsData>,
  options: FilelogReceiverOptions = {},
): FilelogReceiver {
  const { logger } = settings;
  const pipeline = buildPipeline(config.operators, config.max_log_size);
  const fingerprintSize = config.fingerprint_size;
  const groupSize = Math.max(1, Math.floor(config.max_concurrent_files / 2));
  const attrOptions = {
    name: config.include_file_name,
    path: config.include_file_path,
    nameResolved: config.include_file_name_resolved,
    pathResolved: config.include_file_path_resolved,
  };
  const needsRealpath = attrOptions.nameResolved || attrOptions.pathResolved;
  const retry = config.retry_on_failure;
  // consumerretry has no multiplier or jitter options; its backoff uses 1.5 and ±50%.
  const retryConfig: RetryConfig = { ...retry, multiplier: 1.5, randomization_factor: 0.5 };

  /** Followed files by `dev:ino`. */
  const tracked = new Map<string, FileReader>();
  /** Checkpoints of files not currently followed (restored, or lost recently), by `length:hash`. */
  const archive = new Map<string, { cp: Checkpoint; polls: number }>();
  let firstPoll = true;
  let store: CheckpointStore | undefined;
  let lease: StorageLease | undefined;
  let dirty = false;
  const abort = new AbortController();
  let loop: Promise<void> | undefined;
  let polling: Promise<void> | undefined;
  let started = false;
  let stopped: Promise<void> | undefined;

  const fileTelemetry = createFilelogTelemetry(settings.telemetry, () => tracked.size);

  // ---- identification ----

  /** The checkpoint whose fingerprint is the longest prefix of `fp`, taken out of the archive. */
  function matchArchive(fp: Buffer, lengths: readonly number[]): Checkpoint | undefined {
    // One hash per distinct checkpointed length (usually one: fingerprint_size), longest first.
    for (const length of lengths) {
      if (length > fp.length) continue;
      const key = `${length}:${fingerprintHash(fp, length)}`;
      const a = archive.get(key);
      if (a) {
        archive.delete(key);
        return a.cp;
      }
    }
    return undefined;
  }

  async function resolveAttributes(r: FileReader): Promise<void> {
    const resolved = needsRealpath ? await realpath(r.path).catch(() => r.path) : undefined;
    r.setAttributes(attrOptions, resolved);
  }

  async function listPaths(): Promise<string[]> {
    const found = new Set<string>();
    for (const pattern of config.include) {
      for await (const p of glob(pattern)) {
        const abs = resolve(p);
        if (!config.exclude.some((ex) => matchesGlob(abs, ex))) found.add(abs);
      }
    }
    return [...found].sort();
  }

  /** Matches the paths to tracked files; returns the files that were not seen (lost). */
  async function identify(paths: string[]): Promise<FileReader[]> {
    const seen = new Set<FileReader>();
    const lengths = [...new Set([...archive.values()].map((a) => a.cp.length))].sort((a, b) => b - a);
    let truncated = 0;
    let replaced = 0;
    await mapLimit(paths, groupSize, async (path) => {
      const st: Stats | undefined = await stat(path).catch(() => undefined);
      if (!st?.isFile()) return;
      const key = `${st.dev}:${st.ino}`;
      const known = tracked.get(key);
      if (known) {
        if (seen.has(known)) return; // a second hard link to the same file
        seen.add(known);
        known.missedPolls = 0;
        if (known.path !== path) {
          known.path = path;
          await resolveAttributes(known);
        }
        if (st.size < known.readPos) {
          // copytruncate: the file was emptied in place; what is there now is new content.
          known.rewind(0);
          known.setFingerprint(Buffer.alloc(0));
          truncated++;
        }
        if (st.size !== known.size || (known.fp.length < fingerprintSize && st.size > known.fp.length)) {
          if (await known.ensureOpen()) {
            const fp = await readFingerprint(known.fh!, Math.min(fingerprintSize, st.size));
            if (!fp.subarray(0, known.fp.length).equals(known.fp)) {
              known.rewind(0); // replaced in place (truncated and rewritten past our offset)
              replaced++;
            }
            if (!fp.equals(known.fp)) known.setFingerprint(fp);
          }
        }
        known.size = st.size;
        return;
      }
      if (st.size === 0) return; // an empty file has no identity yet; picked up once written
      const fh = await open(path, 'r').catch(() => undefined);
      if (!fh) return;
      const fst = await fh.stat();
      const fp = await readFingerprint(fh, Math.min(fingerprintSize, fst.size));
      if (fp.length === 0) {
        await fh.close();
        return;
      }
      const cp = matchArchive(fp, lengths);
      let offset: number;
      if (cp) offset = cp.offset <= fst.size ? cp.offset : 0;
      else offset = firstPoll && config.start_at === 'end' ? fst.size : 0;
      const r = new FileReader(path, fp, offset);
      r.fh = fh;
      r.dev = fst.dev;
      r.ino = fst.ino;
      r.size = fst.size;
      await resolveAttributes(r);
      tracked.set(`${fst.dev}:${fst.ino}`, r);
      seen.add(r);
      dirty = true;
    });
    if (truncated) fileTelemetry.rotations('truncate', truncated);
    if (replaced) fileTelemetry.rotations('replace', replaced);
    const lost: FileReader[] = [];
    for (const [key, r] of tracked) {
      if (seen.has(r)) continue;
      tracked.delete(key);
      lost.push(r);
    }
    if (lost.length) fileTelemetry.rotations('lost', lost.length);
    // Lost files are read to the end through their open handle (rename, delete keep it valid).
    await Promise.all(
      lost.map(async (r) => {
        if (!r.fh) return;
        r.size = (await r.fh.stat().catch(() => undefined))?.size ?? r.readPos;
      }),
    );
    firstPoll = false;
    return lost;
  }

  // ---- delivery ----

  /** Sends one batch; resolves to whether its offsets may be committed. */
  async function deliver(entries: Entry[], observed: Long, onRefused?: () => void): Promise<boolean> {
    const n = entries.length;
    let reason: DropReason = 'downstream_error';
    let failures = 0;
    const outcome = await sendWithRetry(
      // Rebuilt per attempt: a refusing pipeline may have edited the batch it was given.
      () => next.consume(toLogsData(entries, observed)),
      {
        config: retryConfig,
        stop: abort.signal,
        onAttemptFailed(err, permanent) {
          onRefused?.();
          reason = dropReason(err);
          settings.telemetry.refused('logs', n, reason, 'file');
          if (failures++ === 0 && !permanent && retry.enabled && !abort.signal.aborted) {
            logger.warn({ err, records: n }, 'pipeline refused a batch; retrying');
          }
        },
      },
    );
    if (outcome.kind === 'sent') {
      settings.telemetry.accepted('logs', n, 'file');
      if (outcome.attempts > 1) {
        logger.info({ records: n, attempts: outcome.attempts }, 'pipeline accepted the batch after retrying');
      }
      return true;
    }
    // Shutting down: keep the offsets, the lines are read again after a restart.
    if (outcome.kind === 'stopped' || abort.signal.aborted) return false;
    if (outcome.kind === 'permanent') {
      settings.telemetry.dropped('logs', n, 'permanent_error');
      logger.warn({ err: outcome.error, records: n }, 'pipeline refused a batch permanently; dropping it');
    } else if (!retry.enabled) {
      settings.telemetry.dropped('logs', n, reason);
      logger.warn({ err: outcome.error, records: n }, 'pipeline refused a batch and retry_on_failure is disabled; dropping it');
    } else {
      settings.telemetry.dropped('logs', n, 'retries_exhausted');
      logger.warn({ err: outcome.error, records: n, attempts: outcome.attempts }, `dropping a refused batch: ${outcome.reason}`);
    }
    return true;
  }

  function recordStats(stats: OperatorStats): void {
    if (stats.truncated) fileTelemetry.truncated(stats.truncated);
    for (const [op, count] of stats.errors) fileTelemetry.operatorErrors(op, count);
    if (stats.dropped) settings.telemetry.dropped('logs', stats.dropped, 'invalid_data');
  }

  let saving: Promise<void> = Promise.resolve();
  /** Saves the checkpoints when they changed; saves are serialised (one temp file). */
  function persist(): Promise<void> {
    saving = saving.then(save);
    return saving;
  }

  async function save(): Promise<void> {
    if (!dirty || !store) return;
    dirty = false;
    const cps: Checkpoint[] = [];
    for (const r of tracked.values()) {
      if (r.fp.length > 0) cps.push({ hash: r.fpHash, length: r.fp.length, offset: r.offset, path: r.path });
    }
    for (const { cp } of archive.values()) cps.push(cp);
    try {
      await store.save(cps);
    } catch (err) {
      dirty = true;
      logger.error({ err }, 'cannot save filelog checkpoints; will retry after the next batch');
    }
  }

  /** Runs one line through the operators into `out`. */
  function lineSink(r: FileReader, out: Entry[], stats: OperatorStats) {
    const ctx: LineContext = { source: r, filePath: r.path, lineStart: 0, lineEnd: 0 };
    const attrs = r.attributes;
    return (line: string, start: number, end: number) => {
      const entry = newEntry(line);
      for (const k in attrs) entry.attributes[k] = attrs[k];
      ctx.lineStart = start;
      ctx.lineEnd = end;
      pipeline.run(entry, ctx, out, stats);
    };
  }

  /** Where a reader's checkpoint may move once a round's lines are accepted. */
  interface Commit {
    readonly reader: FileReader;
    readonly offset: number;
  }

  /** Moves each reader's checkpoint to its round's offset (lines accepted downstream). */
  function applyCommits(commits: readonly Commit[]): void {
    for (const { reader, offset } of commits) {
      if (offset !== reader.offset) {
        reader.offset = offset;
        dirty = true;
      }
    }
  }

  /** Sends `entries` and, once accepted, applies `commits` and saves. */
  async function commitRound(
    commits: readonly Commit[],
    entries: Entry[],
    stats: OperatorStats,
    observed: Long,
  ): Promise<boolean> {
    recordStats(stats);
    const ok = entries.length === 0 || (await deliver(entries, observed));
    if (!ok) return false;
    applyCommits(commits);
    await persist();
    return true;
  }

  /**
   * Reads the given files in rounds until each reached the size seen at this poll. Up to
   * MAX_BYTES_IN_FLIGHT of rounds wait for the pipeline at once: a `batch` processor answers a
   * consume() only once its batch is delivered, so one round at a time would read a round per
   * batch timeout. Checkpoints move in round order, and only past rounds that were all accepted.
   */
  async function readRounds(readers: FileReader[]): Promise<boolean> {
    const queue = readers.filter((r) => r.hasData);
    const touched = new Set<FileReader>();
    const inFlight: { settled: Promise<boolean>; bytes: number }[] = [];
    let bytesInFlight = 0;
    let inOrder: Promise<boolean> = Promise.resolve(true);
    let ok = true;
    // A refused round is retried; reading on would let later rounds overtake it (and feed a
    // refusing pipeline), so the next round waits until every round in flight is settled.
    let refused = false;
    const onRefused = () => {
      refused = true;
    };
    while (queue.length > 0 && ok) {
      if (refused) {
        ok = await inOrder;
        refused = false;
        if (!ok) break;
      }
      if (abort.signal.aborted) {
        ok = false;
        break;
      }
      const group = queue.splice(0, groupSize);
      const chunk = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.floor(ROUND_BUDGET_BYTES / group.length)));
      const entries: Entry[] = [];
      let roundBytes = 0;
      const commits: Commit[] = [];
      const stats = newStats();
      const observed = nowNanos();
      await Promise.all(
        group.map(async (r) => {
          if (!(await r.ensureOpen())) {
            r.size = r.readPos; // the path holds another file now; the next poll re-identifies
            return;
          }
          let res: Awaited<ReturnType<FileReader['read']>>;
          try {
            res = await r.read(chunk, config.max_log_size, lineSink(r, entries, stats));
          } catch (err) {
            logger.warn({ err, path: r.path }, 'cannot read file; will retry at the next poll');
            r.size = r.readPos;
            return;
          }
          stats.truncated += res.truncated;
          roundBytes += res.bytes;
          const held = pipeline.pendingStart(r);
          commits.push({ reader: r, offset: held === undefined ? r.lineBoundary : Math.min(held, r.lineBoundary) });
        }),
      );
      for (const r of group) touched.add(r);
      recordStats(stats);
      const delivered = entries.length === 0 ? Promise.resolve(true) : deliver(entries, observed, onRefused);
      const previous = inOrder;
      inOrder = (async () => {
        const accepted = await delivered;
        if (!(await previous) || !accepted) return false;
        applyCommits(commits);
        await persist();
        return true;
      })();
      inFlight.push({ settled: inOrder, bytes: roundBytes });
      bytesInFlight += roundBytes;
      while (ok && bytesInFlight >= MAX_BYTES_IN_FLIGHT) {
        const oldest = inFlight.shift() as { settled: Promise<boolean>; bytes: number };
        ok = await oldest.settled;
        bytesInFlight -= oldest.bytes;
      }
      for (const r of group) if (r.hasData) queue.push(r);
    }
    ok = (await inOrder) && ok;
    // Not accepted (shutdown): forget what was read so memory and checkpoints agree.
    if (!ok) for (const r of touched) r.rewind(r.offset);
    return ok;
  }

  /** Emits partial records held for `readers` (all of them, or only stale ones). */
  async function flushHolds(readers: FileReader[], olderThanMs?: number): Promise<void> {
    const entries: Entry[] = [];
    const commits: Commit[] = [];
    const stats = newStats();
    for (const r of readers) {
      const ctx: LineContext = { source: r, filePath: r.path, lineStart: r.readPos, lineEnd: r.readPos };
      pipeline.flush(r, ctx, entries, stats, olderThanMs);
      if (pipeline.pendingStart(r) === undefined) commits.push({ reader: r, offset: r.lineBoundary });
    }
    if (entries.length > 0 || stats.errors.size > 0) await commitRound(commits, entries, stats, nowNanos());
  }

  async function pollOnce(): Promise<void> {
    const paths = await listPaths();
    const lost = await identify(paths);
    const active = [...tracked.values()];
    if (!(await readRounds([...lost, ...active]))) return;
    if (lost.length > 0) {
      await flushHolds(lost);
      for (const r of lost) {
        await r.close();
        if (r.fp.length > 0) {
          archive.set(`${r.fp.length}:${r.fpHash}`, {
            cp: { hash: r.fpHash, length: r.fp.length, offset: r.offset, path: r.path },
            polls: 0,
          });
        }
      }
      dirty = true;
    }
    await flushHolds(active, FORCE_FLUSH_MS);
    for (const [key, a] of archive) {
      if (++a.polls > ARCHIVE_POLLS) {
        archive.delete(key);
        dirty = true;
      }
    }
    // Beyond max_concurrent_files, idle files give their handle back (re-opened by path).
    if (tracked.size > config.max_concurrent_files) {
      let open = 0;
      for (const r of tracked.values()) if (r.fh && ++open > config.max_concurrent_files) await r.close();
    }
    await persist();
  }

  function poll(): Promise<void> {
    polling ??= pollOnce().finally(() => {
      polling = undefined;
    });
    return polling;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!abort.signal.aborted) {
      const began = Date.now();
      try {
        await poll();
        failures = 0;
      } catch (err) {
        // Log the first failure of a streak and then every 100th: never a line per poll.
        if (failures++ % 100 === 0) logger.error({ err, failures }, 'filelog poll failed');
      }
      const wait = Math.max(0, config.poll_interval - (Date.now() - began));
      try {
        await sleep(wait, undefined, { signal: abort.signal });
      } catch {
        return;
      }
    }
  }

  return {
    get filesTracked() {
      return tracked.size;
    },
    async start(host: Host) {
      if (started) return;
      started = true;
      if (config.storage !== undefined) {
        const ext = host.getExtension(config.storage);
        if (!ext) throw errors.STITCH_ERR_COMPONENT_START([settings.id, `storage extension ${config.storage} is not running`]);
        if (!isStorageExtension(ext)) {
          throw errors.STITCH_ERR_COMPONENT_START([settings.id, `extension ${config.storage} is not a storage extension`]);
        }
        lease = await ext.acquire({ kind: 'receiver', id: settings.id, signal: 'logs' });
        store = createFileCheckpointStore(lease.dir, { fsync: lease.fsync });
      } else store = options.checkpointStore ?? createMemoryCheckpointStore();
      let restored: Checkpoint[];
      try {
        restored = await store.load();
      } catch (err) {
        // A corrupt checkpoint must not stop log collection; start_at applies instead.
        logger.error({ err }, 'cannot read filelog checkpoints; starting without them');
        restored = [];
      }
      for (const cp of restored) archive.set(`${cp.length}:${cp.hash}`, { cp, polls: 0 });
      if (restored.length > 0) logger.info({ files: restored.length }, 'filelog resumes from checkpoints');
      loop = run();
    },
    pollNow: () => poll(),
    shutdown(signal?: AbortSignal) {
      stopped ??= (async () => {
        abort.abort();
        if (loop) {
          // An in-flight consume() cannot be cancelled; wait for it unless the deadline passes.
          const deadline = new Promise<void>((res) => {
            if (signal?.aborted) res();
            signal?.addEventListener('abort', () => res(), { once: true });
          });
          await Promise.race([loop, deadline]);
        }
        await persist();
        for (const r of tracked.values()) await r.close();
        tracked.clear();
        await store?.close();
        await lease?.release();
      })();
      return stopped;
    },
  };
}
