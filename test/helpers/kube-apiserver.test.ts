/**
 * The API server stand-in speaks the list/watch protocol as the Kubernetes API documents it: these
 * tests drive it with plain HTTP, as a client library would.
 */
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KubeApiServer, parseLabelSelector, startKubeApiServer } from './kube-apiserver.js';

let api: KubeApiServer;

beforeEach(async () => {
  api = await startKubeApiServer({ bookmarkIntervalMs: 60_000 });
});
afterEach(async () => {
  await api.close();
});

async function getJson(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, { headers });
  return { status: res.status, body: await res.json() };
}

/** Opens a watch and collects its event lines until `until` returns true or the stream ends. */
function watch(path: string, until: (events: any[]) => boolean, timeoutMs = 5000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const req = http.get(`${api.url}${path}`, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
        if (until(events)) {
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (e) => (events.length > 0 ? resolve(events) : reject(e)));
    setTimeout(() => {
      req.destroy();
      reject(new Error(`watch timed out with ${JSON.stringify(events.map((e) => e.type))}`));
    }, timeoutMs).unref();
  });
}

describe('kube API server stand-in', () => {
  it('lists pods as a PodList, honouring spec.nodeName and label selectors, with realistic objects', async () => {
    api.addDeployment({ namespace: 'shop', name: 'api', node: 'node-a', ips: ['10.1.0.1', '10.1.0.2'] });
    api.addPod({ name: 'other', namespace: 'shop', node: 'node-b', ip: '10.2.0.1', labels: { app: 'other' } });
    const { status, body } = await getJson('/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a');
    expect(status).toBe(200);
    expect(body.kind).toBe('PodList');
    expect(Number(body.metadata.resourceVersion)).toBe(api.revision);
    expect(body.items.map((p: any) => p.status.podIP).sort()).toEqual(['10.1.0.1', '10.1.0.2']);
    const pod = body.items[0];
    expect(pod.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
    expect(pod.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const byLabel = await getJson('/api/v1/namespaces/shop/pods?labelSelector=app%20in%20(other)');
    expect(byLabel.body.items.map((p: any) => p.metadata.name)).toEqual(['other']);
    const notApi = await getJson('/api/v1/pods?labelSelector=app!%3Dapi,!pod-template-hash');
    expect(notApi.body.items.map((p: any) => p.metadata.name)).toEqual(['other']);
  });

  it('pages lists with limit/continue and answers 410 for a compacted continue token', async () => {
    for (let i = 0; i < 5; i++) api.addPod({ name: `p${i}`, node: 'n', ip: `10.0.0.${i + 1}` });
    const first = await getJson('/api/v1/pods?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.metadata.remainingItemCount).toBe(3);
    const second = await getJson(`/api/v1/pods?limit=2&continue=${first.body.metadata.continue}`);
    expect(second.body.items.map((p: any) => p.metadata.name)).toEqual(['p2', 'p3']);
    api.forceGone();
    const expired = await getJson(`/api/v1/pods?limit=2&continue=${second.body.metadata.continue}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('rejects unsupported field selectors with 400 and unknown objects with a 404 Status', async () => {
    expect((await getJson('/api/v1/pods?fieldSelector=spec.foo%3Dx')).status).toBe(400);
    const missing = await getJson('/apis/apps/v1/namespaces/shop/replicasets/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    api.put('namespaces', { metadata: { name: 'shop', labels: { team: 'payments' } } });
    expect((await getJson('/api/v1/namespaces/shop')).body.metadata.labels).toEqual({ team: 'payments' });
  });

  it('streams watch events after a resourceVersion, with selector transitions and bookmarks', async () => {
    const p = api.addPod({ name: 'a', node: 'node-a', ip: '10.0.0.1' });
    const rv = p.metadata.resourceVersion;
    const events = watch(
      `/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dnode-a&allowWatchBookmarks=true&resourceVersion=${rv}`,
      (evs) => evs.length >= 5,
    );
    await new Promise((r) => setTimeout(r, 100));
    api.addPod({ name: 'b', node: 'node-a', ip: '10.0.0.2' });
    api.addPod({ name: 'elsewhere', node: 'node-b', ip: '10.0.0.3' });
    api.modify('pods', 'default', 'a', (o) => {
      o.metadata.labels = { touched: 'yes' };
    });
    api.remove('pods', 'default', 'b');
    api.bookmark();
    // Moving a pod to another node looks like a deletion to a node-filtered watch.
    api.modify('pods', 'default', 'a', (o) => {
      (o.spec as any).nodeName = 'node-b';
    });
    const got = await events;
    expect(got.map((e) => `${e.type}:${e.object.metadata.name ?? ''}`)).toEqual([
      'ADDED:b',
      'MODIFIED:a',
      'DELETED:b',
      'BOOKMARK:',
      'DELETED:a',
    ]);
    expect(got[3].object.metadata.resourceVersion).toBe(String(api.revision - 1));
  });

  it('sends an ERROR event with a 410 Status for a too-old resourceVersion and on forceGone', async () => {
    const small = await startKubeApiServer({ historySize: 2 });
    try {
      for (let i = 0; i < 5; i++) small.addPod({ name: `p${i}`, node: 'n' });
      const res = await fetch(`${small.url}/api/v1/pods?watch=true&resourceVersion=1`);
      const lines = (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(res.status).toBe(200);
      expect(lines).toEqual([
        { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
      ]);
    } finally {
      await small.close();
    }
    api.addPod({ name: 'x', node: 'n' });
    const events = watch(`/api/v1/pods?watch=1&resourceVersion=${api.revision}`, (evs) => evs.some((e) => e.type === 'ERROR'));
    await new Promise((r) => setTimeout(r, 100));
    api.forceGone();
    expect((await events).at(-1)).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });

  it('starts a watch without resourceVersion with synthetic ADDED events for the current state', async () => {
    api.addPod({ name: 'a', node: 'n' });
    api.addPod({ name: 'b', node: 'n' });
    const got = await watch('/api/v1/pods?watch=1', (evs) => evs.length >= 2);
    expect(got.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:a', 'ADDED:b']);
  });

  it('checks bearer tokens, scripts 403s, and records every call', async () => {
    const secured = await startKubeApiServer({ token: 's3cret' });
    try {
      expect((await fetch(`${secured.url}/api/v1/pods`)).status).toBe(401);
      expect((await fetch(`${secured.url}/api/v1/pods`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
      secured.failNext({ status: 403, match: /pods/ });
      const forbidden = await fetch(`${secured.url}/api/v1/pods`, { headers: { authorization: 'Bearer s3cret' } });
      expect(forbidden.status).toBe(403);
      expect(await forbidden.json()).toMatchObject({ reason: 'Forbidden', code: 403 });
      expect(secured.calls.map((c) => c.status)).toEqual([401, 200, 403]);
      expect(secured.calls[0]).toMatchObject({ method: 'GET', path: '/api/v1/pods', watch: false });
    } finally {
      await secured.close();
    }
  });

  it('parses set-based label selectors', () => {
    const sel = parseLabelSelector('env in (prod, staging),tier notin (db),app');
    expect(sel({ env: 'prod', tier: 'web', app: 'x' })).toBe(true);
    expect(sel({ env: 'dev', tier: 'web', app: 'x' })).toBe(false);
    expect(sel({ env: 'prod', tier: 'db', app: 'x' })).toBe(false);
    expect(sel({ env: 'prod' })).toBe(false);
  });
});
