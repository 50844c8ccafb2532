/**
 * The pipelines inside the ConfigMaps pass `stitch validate` (the real CLI), as the containers
 * run them: the `--config` files of their args, read from the ConfigMap keys mounted there, with
 * the environment the downward API and the backend Secret would give them. And nothing in them
 * names a backend: without the Secret's values the same configs are invalid.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runStitch } from '../helpers/collector-process.js';
import {
  BASE_DIR,
  configFiles,
  container,
  containerEnv,
  find,
  GATEWAY_DIR,
  type KubeDoc,
  kustomizeBuild,
  TEST_ENV,
} from './manifests.js';

let base: KubeDoc[];
let gateway: KubeDoc[];

beforeAll(() => {
  base = kustomizeBuild(BASE_DIR);
  gateway = kustomizeBuild(GATEWAY_DIR);
});

/** Writes the workload's config files to a temp dir and runs `stitch validate` on them. */
async function validate(docs: KubeDoc[], workload: KubeDoc, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-deploy-'));
  const args = ['validate'];
  for (const f of configFiles(docs, workload)) {
    const file = join(dir, f.key);
    writeFileSync(file, f.text);
    args.push('--config', file);
  }
  // Only the pod's env: nothing from the test runner's environment leaks into the expansion.
  const stitch = runStitch(args, { ...blankEnv(), ...env });
  const code = await stitch.exited;
  return { code, output: stitch.stdout() + stitch.stderr() };
}

/** Every env name the configs could read, emptied, so only what the pod sets counts. */
function blankEnv(): Record<string, string> {
  const names = [
    'MY_POD_IP',
    'K8S_NODE_NAME',
    'STITCH_PROMETHEUS_REMOTE_WRITE_URL',
    'STITCH_LOKI_PUSH_URL',
    'STITCH_OTLP_TRACES_ENDPOINT',
  ];
  return Object.fromEntries(names.map((n) => [n, '']));
}

const cases = [
  { overlay: 'base', workload: 'DaemonSet/stitch-node', files: ['node.yaml', 'exporters.yaml'], backends: true },
  { overlay: 'gateway', workload: 'DaemonSet/stitch-node', files: ['node.yaml', 'exporters.yaml'], backends: false },
  { overlay: 'gateway', workload: 'Deployment/stitch-gateway', files: ['gateway.yaml'], backends: true },
] as const;

describe.each(cases)('$overlay: $workload', ({ overlay, workload, files, backends }) => {
  const docsOf = () => (overlay === 'base' ? base : gateway);
  const workloadOf = () => {
    const [kind, name] = workload.split('/') as [string, string];
    return find(docsOf(), kind, name);
  };

  it('passes stitch validate with the env the pod gets', async () => {
    const w = workloadOf();
    expect(configFiles(docsOf(), w).map((f) => f.key)).toEqual(files);
    const env = containerEnv(container(w), TEST_ENV);
    const { code, output } = await validate(docsOf(), w, env);
    expect(output).toContain('configuration is valid');
    expect(code).toBe(0);
  });

  it(backends ? 'takes every backend URL from the Secret' : 'needs no backend URL', async () => {
    const w = workloadOf();
    const texts = configFiles(docsOf(), w).map((f) => f.text);
    // No scheme://host in any config: backends come from the environment.
    for (const t of texts) expect(t).not.toMatch(/https?:\/\//);
    const env = containerEnv(container(w), TEST_ENV);
    const fromSecret = (container(w).env as any[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    if (!backends) {
      expect(fromSecret).toEqual([]);
      return;
    }
    expect(fromSecret.sort()).toEqual([
      'STITCH_LOKI_PUSH_URL',
      'STITCH_OTLP_TRACES_ENDPOINT',
      'STITCH_PROMETHEUS_REMOTE_WRITE_URL',
    ]);
    for (const name of fromSecret) expect(texts.join('\n')).toContain(`\${env:${name}}`);
    // Without the Secret's values the config is refused, naming the exporters whose endpoint is missing.
    const withoutSecret = Object.fromEntries(Object.entries(env).filter(([k]) => !fromSecret.includes(k)));
    const { code, output } = await validate(docsOf(), w, withoutSecret);
    expect(code).toBe(1);
    expect(output).toMatch(/exporters\.loki\.endpoint: missing required option "endpoint"/);
    expect(output).toMatch(/exporters\.otlp\/traces\.endpoint: missing required option "endpoint"/);
  });
});
