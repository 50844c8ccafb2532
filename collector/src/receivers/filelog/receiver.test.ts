import { appendFile, mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Consumer } from '../../component/component.js';
import { errors } from '../../errors.js';
import { fileStorageConfigSchema } from '../../extensions/file-storage/config.js';
import { createFileStorage } from '../../extensions/file-storage/extension.js';
import { countLogRecords } from '../../model/count.js';
import type { LogsData } from '../../model/types.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { createFileCheckpointStore } from './checkpoint.js';
import { filelogConfigSchema } from './config.js';
import { createFilelogReceiver, type FilelogReceiver } from './receiver.js';
import { containerdLine, crioLine, dockerLine, flatten, podsTree } from './testing.js';

type Tree = Awaited<ReturnType<typeof podsTree>>;
let tree: Tree;
const running: FilelogReceiver[] = [];

beforeEach(async () => {
  tree = await podsTree();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.shutdown();
  await tree.remove();
});

function config(extra: Record<string, unknown> = {}) {
  return filelogConfigSchema.parse({
    include: [join(tree.pods, '*', '*', '*.log')],
    start_at: 'beginning',
    poll_interval: '20ms',
    include_file_path: true,
    operators: [{ type: 'container' }],
    ...extra,
  });
}

async function startReceiver(
  extra: Record<string, unknown> = {},
  next: Consumer<LogsData> = new CollectingConsumer('logs'),
  opts: Parameters<typeof createFilelogReceiver>[3] = {},
  host = testHost(),
) {
  const settings = testSettings('filelog', 'receiver');
  const r = createFilelogReceiver(settings, config(extra), next, opts);
  running.push(r);
  await r.start(host);
  return { r, settings };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function metric(settings: ReturnType<typeof testSettings>, name: string, labels = ''): Promise<number> {
  const text = await settings.selfTelemetry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/**
 * A pipeline that answers each consume() after `delayMs`, as a `batch` processor answers once its
 * batch is sent, counting how many consume() calls wait at once.
 */
function slowPipeline(delayMs: number) {
  const sink = new CollectingConsumer('logs');
  const state = { open: 0, maxOpen: 0 };
  const consumer: Consumer<LogsData> = {
    capabilities: { mutatesData: false },
    async consume(b) {
      state.maxOpen = Math.max(state.maxOpen, ++state.open);
      await new Promise((res) => setTimeout(res, delayMs));
      state.open--;
      return sink.consume(b);
    },
  };
  return { sink, consumer, state };
}

const UID = '0f3a9c1e-1111-2222-3333-444455556666';

describe('filelog receiver: container formats', () => {
  it('reads containerd, CRI-O and docker files with k8s metadata from the path, joining partial lines', async () => {
    const a = await tree.podDir('shop', 'api-7d9f', UID, 'api');
    const b = await tree.podDir('shop', 'worker-1', 'aaaa-bbbb', 'worker');
    const c = await tree.podDir('ops', 'legacy-0', 'cccc', 'app');
    await writeFile(
      join(a, '0.log'),
      containerdLine('hello') +
        containerdLine('part one, ', 'P') +
        containerdLine('part two, ', 'P') +
        containerdLine('end', 'F'),
    );
    await writeFile(join(b, '2.log'), crioLine('from crio', 'F', 'stderr') + crioLine('x'.repeat(10), 'P') + crioLine('y', 'F'));
    await writeFile(join(c, '0.log'), dockerLine('docker says hi') + dockerLine('split ', true) + dockerLine('line'));
    const sink = new CollectingConsumer('logs');
    await startReceiver({}, sink);
    await sink.waitForItems(6);
    await new Promise((res) => setTimeout(res, 100));
    const recs = flatten(sink.batches);
    expect(recs).toHaveLength(6);
    const bodies = recs.map((r) => r.body).sort();
    expect(bodies).toEqual(['docker says hi', 'from crio', 'hello', 'part one, part two, end', 'split line', 'xxxxxxxxxxy']);
    const hello = recs.find((r) => r.body === 'hello')!;
    expect(hello.resource).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'api-7d9f',
      'k8s.pod.uid': UID,
      'k8s.container.name': 'api',
      'k8s.container.restart_count': '0',
    });
    expect(hello.attributes['log.iostream']).toBe('stdout');
    expect(hello.attributes['log.file.path']).toBe(join(a, '0.log'));
    expect(hello.attributes['log.file.name']).toBe('0.log');
    expect(hello.time).toBe('1714557600123456789');
    const crio = recs.find((r) => r.body === 'from crio')!;
    expect(crio.attributes['log.iostream']).toBe('stderr');
    expect(crio.time).toBe(String(BigInt(Date.parse('2024-05-01T10:00:00.5Z')) * 1_000_000n));
    expect(crio.resource['k8s.container.restart_count']).toBe('2');
    const docker = recs.find((r) => r.body === 'split line')!;
    expect(docker.resource['k8s.namespace.name']).toBe('ops');
    expect(docker.time).toBe('1714557600000000001');
  });

  it('starts at the end of files present at start-up, and reads a file created later from its beginning', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    await writeFile(join(dir, '0.log'), containerdLine('old 1') + containerdLine('old 2'));
    const sink = new CollectingConsumer('logs');
    const { r } = await startReceiver({ start_at: 'end' }, sink);
    await waitFor(() => r.filesTracked === 1, 'the first poll');
    await appendFile(join(dir, '0.log'), containerdLine('new 1'));
    const later = await tree.podDir('ns', 'q', 'ef01', 'c');
    await writeFile(join(later, '0.log'), containerdLine('late 1') + containerdLine('late 2'));
    await sink.waitForItems(3);
    await new Promise((res) => setTimeout(res, 100));
    expect(
      flatten(sink.batches)
        .map((x) => x.body)
        .sort(),
    ).toEqual(['late 1', 'late 2', 'new 1']);
  });
});

describe('filelog receiver: rotation', () => {
  it('follows rotation by rename + create without losing or repeating lines', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    const file = join(dir, '0.log');
    await writeFile(file, containerdLine('a1'));
    const sink = new CollectingConsumer('logs');
    await startReceiver({}, sink);
    await sink.waitForItems(1);
    // Written after the last read and before the rename: only the open handle can still see it.
    await appendFile(file, containerdLine('a2') + containerdLine('a3'));
    await rename(file, `${file}.20240501-100000`);
    await writeFile(file, containerdLine('b1'));
    await sink.waitForItems(4);
    await appendFile(file, containerdLine('b2'));
    await sink.waitForItems(5);
    await new Promise((res) => setTimeout(res, 100));
    const bodies = flatten(sink.batches).map((x) => x.body);
    expect(bodies.sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    // The rotated file keeps its pod's metadata.
    for (const rec of flatten(sink.batches)) expect(rec.resource['k8s.pod.name']).toBe('p');
  });

  it('follows copytruncate: the truncated file is read again from offset 0', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    const file = join(dir, '0.log');
    await writeFile(file, containerdLine('before 1') + containerdLine('before 2'));
    const sink = new CollectingConsumer('logs');
    const { settings } = await startReceiver({}, sink);
    await sink.waitForItems(2);
    await truncate(file, 0);
    await new Promise((res) => setTimeout(res, 60));
    await appendFile(file, containerdLine('after 1'));
    await sink.waitForItems(3);
    await appendFile(file, containerdLine('after 2'));
    await sink.waitForItems(4);
    await new Promise((res) => setTimeout(res, 100));
    expect(flatten(sink.batches).map((x) => x.body)).toEqual(['before 1', 'before 2', 'after 1', 'after 2']);
    expect(await metric(settings, 'stitch_filelog_rotations_total', 'kind="truncate"')).toBeGreaterThanOrEqual(1);
  });

  it('notices deleted files and stops tracking them', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    await writeFile(join(dir, '0.log'), containerdLine('one'));
    await writeFile(join(dir, '1.log'), containerdLine('two'));
    const sink = new CollectingConsumer('logs');
    const { r, settings } = await startReceiver({}, sink);
    await sink.waitForItems(2);
    expect(r.filesTracked).toBe(2);
    await rm(join(dir, '0.log'));
    await waitFor(() => r.filesTracked === 1, 'the deleted file to be dropped');
    expect(await metric(settings, 'stitch_filelog_files_tracked')).toBe(1);
    expect(sink.itemCount).toBe(2);
  });

  it('reads 500 files at once', async () => {
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const dir = join(tree.pods, `ns_pod-${i}_${(i + 0x1000).toString(16)}`, 'c');
      writes.push(
        mkdir(dir, { recursive: true }).then(() =>
          writeFile(join(dir, '0.log'), containerdLine(`f${i} l1`) + containerdLine(`f${i} l2`)),
        ),
      );
    }
    await Promise.all(writes);
    const sink = new CollectingConsumer('logs');
    const { r } = await startReceiver({}, sink);
    await sink.waitForItems(1000, 20_000);
    await new Promise((res) => setTimeout(res, 100));
    expect(r.filesTracked).toBe(500);
    const bodies = new Set(flatten(sink.batches).map((x) => x.body));
    expect(bodies.size).toBe(1000);
    expect(sink.itemCount).toBe(1000);
  });
});

describe('filelog receiver: limits and failures', () => {
  it('bounds what waits for a slow pipeline in bytes: many files make few, large rounds', async () => {
    const writes: Promise<void>[] = [];
    const perFile = 800; // ~64 KiB a file: 16 rounds of 4 KiB chunks, 800 KiB a round over 200 files
    for (let i = 0; i < 200; i++) {
      const dir = join(tree.pods, `ns_pod-${i}_${(i + 0x1000).toString(16)}`, 'c');
      let text = '';
      for (let j = 0; j < perFile; j++) text += containerdLine(`f${i} line ${j} ${'x'.repeat(40)}`);
      writes.push(mkdir(dir, { recursive: true }).then(() => writeFile(join(dir, '0.log'), text)));
    }
    await Promise.all(writes);
    const { sink, consumer, state } = slowPipeline(50);
    await startReceiver({}, consumer);
    await sink.waitForItems(200 * perFile, 20_000);
    expect(state.maxOpen).toBeGreaterThan(1);
    expect(state.maxOpen).toBeLessThanOrEqual(4); // 3 MiB of 800 KiB rounds; 12 by round count
  });

  it('cuts a line longer than max_log_size, counts it and keeps going', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    await writeFile(join(dir, '0.log'), `short\n${'x'.repeat(5000)}\nafter\n${'y'.repeat(3000)}`);
    const sink = new CollectingConsumer('logs');
    const { settings } = await startReceiver({ max_log_size: 1024, operators: [] }, sink);
    await sink.waitForItems(4);
    await appendFile(join(dir, '0.log'), 'yyy\nlast\n');
    await sink.waitForItems(5);
    const bodies = flatten(sink.batches).map((x) => x.body as string);
    expect(bodies.map((b) => b.length)).toEqual([5, 1024, 5, 1024, 4]);
    expect(bodies[4]).toBe('last');
    expect(await metric(settings, 'stitch_filelog_truncated_lines_total')).toBe(2);
  });

  it('stops reading while the pipeline refuses, then delivers every line exactly once', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    await writeFile(join(dir, '0.log'), containerdLine('l1') + containerdLine('l2'));
    const sink = new CollectingConsumer('logs');
    sink.refuseWith = errors.STITCH_ERR_MEMORY_LIMIT([900, 800]);
    let attempts = 0;
    const counting: Consumer<LogsData> = {
      capabilities: { mutatesData: false },
      consume: (b) => {
        attempts++;
        return sink.consume(b);
      },
    };
    const { settings } = await startReceiver(
      { retry_on_failure: { enabled: true, initial_interval: '20ms', max_interval: '40ms' } },
      counting,
    );
    await waitFor(() => attempts >= 3, 'retries');
    await appendFile(join(dir, '0.log'), containerdLine('l3'));
    await new Promise((res) => setTimeout(res, 100));
    expect(sink.itemCount).toBe(0);
    sink.refuseWith = undefined;
    await sink.waitForItems(3);
    await new Promise((res) => setTimeout(res, 100));
    expect(flatten(sink.batches).map((x) => x.body)).toEqual(['l1', 'l2', 'l3']);
    expect(await metric(settings, 'stitch_receiver_refused_items_total', 'reason="memory_limit"')).toBeGreaterThanOrEqual(4);
    expect(await metric(settings, 'stitch_receiver_accepted_items_total')).toBe(3);
  });

  it('does not read ahead into a refusing pipeline: later rounds wait for the refused one', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    const total = 80_000; // ~5 MiB: ~20 rounds of 256 KiB
    let body = '';
    for (let i = 0; i < total; i++) body += containerdLine(`line ${i}`);
    await writeFile(join(dir, '0.log'), body);
    const sink = new CollectingConsumer('logs');
    sink.refuseWith = errors.STITCH_ERR_MEMORY_LIMIT([900, 800]);
    const offered = new Set<string>(); // first line of each batch offered
    const counting: Consumer<LogsData> = {
      capabilities: { mutatesData: false },
      consume: (b) => {
        offered.add(String(b.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.body?.stringValue));
        return sink.consume(b);
      },
    };
    await startReceiver({ retry_on_failure: { enabled: true, initial_interval: '20ms', max_interval: '40ms' } }, counting);
    await new Promise((res) => setTimeout(res, 400));
    // Without the wait, 12 rounds (3 MiB) would be read into the refusing pipeline.
    expect(offered.size).toBeGreaterThan(0);
    expect(offered.size).toBeLessThanOrEqual(3);
    sink.refuseWith = undefined;
    await sink.waitForItems(total);
    await new Promise((res) => setTimeout(res, 100));
    const bodies = flatten(sink.batches).map((x) => x.body);
    expect(bodies).toHaveLength(total);
    expect(new Set(bodies).size).toBe(total);
  });

  it('drops and counts a refused batch when retry_on_failure is off (the Collector default)', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    await writeFile(join(dir, '0.log'), containerdLine('lost'));
    const sink = new CollectingConsumer('logs');
    sink.refuseWith = errors.STITCH_ERR_QUEUE_FULL(['otlp', 'requests']);
    const { settings } = await startReceiver({}, sink);
    const deadline = Date.now() + 5000;
    while ((await metric(settings, 'stitch_component_dropped_items_total', 'reason="queue_full"')) < 1) {
      if (Date.now() > deadline) throw new Error('no drop counted');
      await new Promise((res) => setTimeout(res, 20));
    }
    sink.refuseWith = undefined;
    await appendFile(join(dir, '0.log'), containerdLine('kept'));
    await sink.waitForItems(1);
    expect(flatten(sink.batches).map((x) => x.body)).toEqual(['kept']);
  });
});

describe('filelog receiver: checkpoints', () => {
  it('resumes mid-file after a restart: no line lost, none repeated', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    const file = join(dir, '0.log');
    const ckptDir = join(tree.root, 'checkpoints');
    let body = '';
    for (let i = 0; i < 300; i++) body += containerdLine(`line ${i}`);
    await writeFile(file, body);
    const first = new CollectingConsumer('logs');
    const a = await startReceiver({ start_at: 'end' }, first, { checkpointStore: createFileCheckpointStore(ckptDir) });
    await waitFor(() => a.r.filesTracked === 1, 'first poll');
    // start_at: end skipped the 300 existing lines; now 200 more, with a partial CRI line pending.
    let more = '';
    for (let i = 300; i < 500; i++) more += containerdLine(`line ${i}`);
    await appendFile(file, more + containerdLine('joined ', 'P'));
    await first.waitForItems(200);
    await a.r.shutdown();

    await appendFile(file, containerdLine('half', 'F') + containerdLine('line 500') + containerdLine('line 501'));
    const second = new CollectingConsumer('logs');
    await startReceiver({ start_at: 'end' }, second, { checkpointStore: createFileCheckpointStore(ckptDir) });
    await second.waitForItems(3);
    await new Promise((res) => setTimeout(res, 150));
    const firstBodies = flatten(first.batches).map((x) => x.body);
    const secondBodies = flatten(second.batches).map((x) => x.body);
    expect(firstBodies).toHaveLength(200);
    expect(firstBodies[0]).toBe('line 300');
    expect(firstBodies[199]).toBe('line 499');
    expect(secondBodies).toEqual(['joined half', 'line 500', 'line 501']);
  });

  it('reads ahead while a slow pipeline answers, and a restart mid-way loses and repeats nothing', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    const file = join(dir, '0.log');
    const total = 80_000; // ~5 MiB: more 256 KiB rounds than may wait at once
    let body = '';
    for (let i = 0; i < total; i++) body += containerdLine(`line ${i}`);
    await writeFile(file, body);
    const ckptDir = join(tree.root, 'checkpoints');
    const first = slowPipeline(100);
    const a = await startReceiver({}, first.consumer, { checkpointStore: createFileCheckpointStore(ckptDir) });
    await first.sink.waitForItems(1);
    expect(first.state.maxOpen).toBeGreaterThan(1); // rounds overlap instead of one per answer
    await a.r.shutdown();
    const firstBodies = flatten(first.sink.batches).map((x) => x.body);
    expect(firstBodies.length).toBeLessThan(total);

    const second = slowPipeline(100);
    await startReceiver({}, second.consumer, { checkpointStore: createFileCheckpointStore(ckptDir) });
    await second.sink.waitForItems(total - firstBodies.length);
    await new Promise((res) => setTimeout(res, 250));
    const all = [...firstBodies, ...flatten(second.sink.batches).map((x) => x.body)];
    expect(all).toEqual(Array.from({ length: total }, (_, i) => `line ${i}`));
  });

  it('keeps checkpoints in a file_storage extension', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    const file = join(dir, '0.log');
    await writeFile(file, containerdLine('one') + containerdLine('two'));
    const storageDir = join(tree.root, 'storage');
    const makeHost = async () => {
      const ext = createFileStorage(
        testSettings('file_storage', 'extension'),
        fileStorageConfigSchema.parse({ directory: storageDir, create_directory: true }),
      );
      await ext.start(testHost());
      return { ext, host: testHost({ file_storage: ext }) };
    };
    const h1 = await makeHost();
    const s1 = new CollectingConsumer('logs');
    const a = await startReceiver({ storage: 'file_storage' }, s1, {}, h1.host);
    await s1.waitForItems(2);
    await a.r.shutdown();
    await h1.ext.shutdown();
    await appendFile(file, containerdLine('three'));
    const h2 = await makeHost();
    const s2 = new CollectingConsumer('logs');
    await startReceiver({ storage: 'file_storage' }, s2, {}, h2.host);
    await s2.waitForItems(1);
    await new Promise((res) => setTimeout(res, 100));
    expect(flatten(s2.batches).map((x) => x.body)).toEqual(['three']);
    await h2.ext.shutdown();
  });

  it('fails to start when the storage extension is missing', async () => {
    const settings = testSettings('filelog', 'receiver');
    const r = createFilelogReceiver(settings, config({ storage: 'file_storage/missing' }), new CollectingConsumer('logs'));
    await expect(r.start(testHost())).rejects.toMatchObject({ code: 'STITCH_ERR_COMPONENT_START' });
    await r.shutdown();
  });
});

describe('filelog receiver: json_parser errors', () => {
  it('leaves the raw body of an invalid JSON line and counts the parse error', async () => {
    const dir = await tree.podDir('ns', 'p', 'abcd', 'c');
    await writeFile(join(dir, '0.log'), containerdLine('{"msg":"ok","n":1}') + containerdLine('{"broken": '));
    const sink = new CollectingConsumer('logs');
    const { settings } = await startReceiver({ operators: [{ type: 'container' }, { type: 'json_parser', id: 'json' }] }, sink);
    await sink.waitForItems(2);
    const recs = flatten(sink.batches);
    expect(recs[0].attributes).toMatchObject({ msg: 'ok', n: 1 });
    expect(recs[1].body).toBe('{"broken": ');
    expect(await metric(settings, 'stitch_filelog_operator_errors_total', 'operator="json"')).toBe(1);
    expect(countLogRecords(sink.batches[0])).toBeGreaterThan(0);
  });
});
