import { afterEach, describe, expect, it } from 'vitest';
import { sampleLogs, sampleTraces } from '../../component/conformance/sample-data.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { memoryLimiterConfigSchema } from './config.js';
import type { MemoryProbe } from './memory.js';
import { createMemoryLimiterProcessor, type MemoryLimiterProcessor } from './processor.js';

const MIB = 1024 * 1024;

/** A process whose memory the test sets. */
class FakeProbe implements MemoryProbe {
  usedMib = 100;
  reads = 0;
  gcs = 0;
  /** What a forced GC brings usage down to (undefined: GC frees nothing). */
  afterGcMib: number | undefined;
  gc?: () => void;
  constructor(withGc = false) {
    if (withGc) {
      this.gc = () => {
        this.gcs++;
        if (this.afterGcMib !== undefined) this.usedMib = this.afterGcMib;
      };
    }
  }
  used = () => {
    this.reads++;
    return this.usedMib * MIB;
  };
  total = () => 1000 * MIB;
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const running: MemoryLimiterProcessor<never>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.shutdown()));
});

function make(raw: Record<string, unknown>, probe: MemoryProbe, id = 'memory_limiter') {
  const settings = testSettings(id, 'processor');
  const next = new CollectingConsumer('traces');
  const p = createMemoryLimiterProcessor(settings, memoryLimiterConfigSchema.parse(raw), 'traces', next, { probe });
  running.push(p as never);
  return { p, next, settings };
}

describe('memory_limiter processor', () => {
  it('passes data below the soft limit, refuses it retryably above, and accepts again once memory drops', async () => {
    const probe = new FakeProbe();
    // hard 500 MiB, soft 400 MiB
    const { p, next, settings } = make({ check_interval: '10ms', limit_mib: 500, spike_limit_mib: 100 }, probe);
    await p.start(testHost());
    await p.consume(sampleTraces({ items: 2 }));
    expect(next.itemCount).toBe(2);

    probe.usedMib = 450; // above soft, below hard
    const reads = probe.reads;
    await until(() => probe.reads > reads + 1);
    const err = await p.consume(sampleTraces({ items: 3 })).catch((e) => e);
    expect(err).toMatchObject({ code: 'STITCH_ERR_MEMORY_LIMIT', retryable: true, kind: 'downstream', retryAfterMs: 1000 });
    expect(err.message).toBe('data refused: memory usage 450 MiB is above the soft limit of 400 MiB');
    expect(next.itemCount).toBe(2);
    const text = await settings.selfTelemetry.metrics();
    expect(text).toMatch(
      /stitch_processor_refused_items_total\{component_id="memory_limiter",signal="traces",reason="memory_limit"\} 3/,
    );
    expect(text).toMatch(/stitch_processor_memory_limiter_used_bytes\{component_id="memory_limiter"\} 471859200/);

    probe.usedMib = 399;
    const readsBelow = probe.reads;
    await until(() => probe.reads > readsBelow + 1);
    await p.consume(sampleTraces({ items: 1 }));
    expect(next.itemCount).toBe(3);
  });

  it('decides at start, before the first interval', async () => {
    const probe = new FakeProbe();
    probe.usedMib = 600;
    const { p } = make({ check_interval: '1h', limit_mib: 500 }, probe);
    await p.start(testHost());
    await expect(p.consume(sampleTraces())).rejects.toMatchObject({ code: 'STITCH_ERR_MEMORY_LIMIT' });
  });

  it('above the hard limit forces a GC when one is exposed, and keeps accepting when it freed enough', async () => {
    const probe = new FakeProbe(true);
    probe.usedMib = 600;
    probe.afterGcMib = 200;
    const { p, next } = make({ check_interval: '1h', limit_mib: 500 }, probe);
    await p.start(testHost());
    expect(probe.gcs).toBe(1);
    await p.consume(sampleTraces({ items: 1 }));
    expect(next.itemCount).toBe(1);
  });

  it('above only the soft limit, forced GCs wait for min_gc_interval_when_soft_limited', async () => {
    const probe = new FakeProbe(true);
    probe.usedMib = 450; // soft 400, hard 500
    const { p } = make({ check_interval: '10ms', limit_mib: 500, min_gc_interval_when_soft_limited: '1h' }, probe);
    await p.start(testHost());
    const reads = probe.reads;
    await until(() => probe.reads > reads + 3);
    expect(probe.gcs).toBe(0);
    await expect(p.consume(sampleTraces())).rejects.toMatchObject({ code: 'STITCH_ERR_MEMORY_LIMIT' });
  });

  it('shares one check among the pipelines of one ID and stops it with the last one', async () => {
    const probe = new FakeProbe();
    const config = memoryLimiterConfigSchema.parse({ check_interval: '10ms', limit_mib: 500 });
    const settings = testSettings('memory_limiter/shared', 'processor');
    const a = createMemoryLimiterProcessor(settings, config, 'traces', new CollectingConsumer('traces'), { probe });
    const logsNext = new CollectingConsumer('logs');
    const b = createMemoryLimiterProcessor(settings, config, 'logs', logsNext, { probe });
    await a.start(testHost());
    await b.start(testHost());
    await new Promise((r) => setTimeout(r, 100));
    // One timer: about 10 reads in 100 ms, not 20.
    expect(probe.reads).toBeLessThan(16);
    await a.shutdown();
    probe.usedMib = 900;
    const reads = probe.reads;
    await until(() => probe.reads > reads + 1); // still checking for b
    await expect(b.consume(sampleLogs())).rejects.toMatchObject({ code: 'STITCH_ERR_MEMORY_LIMIT' });
    await b.shutdown();
    const stopped = probe.reads;
    await new Promise((r) => setTimeout(r, 60));
    expect(probe.reads).toBe(stopped);
  });

  it('shutdown is idempotent and safe without start; consume after shutdown rejects', async () => {
    const { p } = make({ check_interval: '1s', limit_mib: 500 }, new FakeProbe());
    await p.shutdown();
    await p.shutdown();
    await expect(p.consume(sampleTraces())).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('passes the downstream outcome through unchanged', async () => {
    const { p, next } = make({ check_interval: '1s', limit_mib: 100_000 }, new FakeProbe());
    await p.start(testHost());
    next.refuseWith = new Error('boom');
    await expect(p.consume(sampleTraces())).rejects.toThrow('boom');
  });
});
