/**
 * deploy/Dockerfile without a Docker engine: its stages are read and checked (Node 24 slim base,
 * npm ci then build, production-only install, non-root user, the entrypoint), and its runtime
 * stage is replayed into a temporary directory (every COPY, from the build output or the build
 * context) where the collector must then run: so the image holds every file and workspace
 * package the collector loads, and each of those packages declares the dependencies it imports.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STITCH_BIN } from '../helpers/collector-process.js';
import { BASE_DIR, configFiles, container, containerEnv, find, kustomizeBuild, podSpec, ROOT, TEST_ENV } from './manifests.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (line continuations joined, comments dropped). */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const OP = op!.toUpperCase();
    if (OP === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      const from = m[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => globalArgs[n] ?? '');
      stages.push({ from, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (OP === 'ARG' && stages.length === 0) {
      const [k, v] = args.split('=') as [string, string];
      globalArgs[k] = v;
    } else stages.at(-1)?.instructions.push({ op: OP, args });
  }
  return { args: globalArgs, stages };
}

/** COPY sources and destination (flags removed); `from` is the --from stage, if any. */
function copyOf(i: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = i.args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** A .dockerignore pattern as a RegExp over context-relative paths (`**`, `*`, a directory prefix). */
function ignoreRegExp(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^$()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '(?:.*/)?')
    .replace(/\*\*/g, '.*')
    .replace(/\*/g, '[^/]*');
  return new RegExp(`^${re}(?:/.*)?$`);
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8'));
const [build, runtime] = dockerfile.stages as [Stage, Stage];
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map(ignoreRegExp);
const pkg = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
const WORKSPACES: string[] = pkg('.').workspaces;
/** The workspace folder of each @stitch/* package. */
const WORKSPACE_OF = new Map<string, string>(WORKSPACES.map((w) => [pkg(w).name as string, w]));

/** The workspaces the collector needs at run time: itself and its @stitch/* dependencies, transitively. */
function runtimeWorkspaces(): string[] {
  const out = new Set<string>(['collector']);
  const visit = (dir: string) => {
    for (const dep of Object.keys(pkg(dir).dependencies ?? {})) {
      const ws = WORKSPACE_OF.get(dep);
      if (ws && !out.has(ws)) {
        out.add(ws);
        visit(ws);
      }
    }
  };
  visit('collector');
  return [...out].sort();
}

/** Where the build stage works (its WORKDIR): `--from=build` paths start there. */
const BUILD_ROOT = build.instructions.find((i) => i.op === 'WORKDIR')!.args;
const run = (i: Instruction[]) => i.filter((x) => x.op === 'RUN').map((x) => x.args);

describe('deploy/Dockerfile', () => {
  it('builds in two stages on Node 24 slim: npm ci, then the TypeScript build', () => {
    expect(dockerfile.stages).toHaveLength(2);
    expect(build.name).toBe('build');
    for (const s of dockerfile.stages) expect(s.from).toMatch(/^node:24-(bookworm-)?slim$/);
    const runs = run(build.instructions);
    const ci = runs.findIndex((r) => /^npm ci\b/.test(r));
    const tsc = runs.findIndex((r) => /\btsc -b collector\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(tsc).toBeGreaterThan(ci);
    expect(runs[ci]).not.toContain('--omit=dev'); // the build needs TypeScript
  });

  it('copies the sources of every project the collector build references', () => {
    const refs: string[] = JSON.parse(readFileSync(join(ROOT, 'collector/tsconfig.json'), 'utf8')).references.map(
      (r: { path: string }) => r.path.replace('../', ''),
    );
    const copied = build.instructions.filter((i) => i.op === 'COPY').flatMap((i) => copyOf(i).sources);
    for (const ws of ['collector', ...refs]) expect(copied, ws).toContain(`${ws}/`);
    // npm ci checks every workspace's manifest against the lock: all of them, in both stages.
    for (const stage of [build, runtime]) {
      const files = stage.instructions.filter((i) => i.op === 'COPY').flatMap((i) => copyOf(i).sources);
      for (const ws of WORKSPACES)
        expect(files, `${stage.name ?? 'runtime'}: ${ws}/package.json`).toContain(`${ws}/package.json`);
      expect(files).toContain('package-lock.json');
    }
  });

  it('installs production dependencies only in the runtime stage and runs as the manifests do', () => {
    const runs = run(runtime.instructions);
    expect(runs.some((r) => /^npm ci\b.*--omit=dev.*--workspace=@stitch\/collector/.test(r))).toBe(true);
    expect(runs.some((r) => /\btsc\b/.test(r))).toBe(false);
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)!.args;
    const [uid, gid] = user.split(':').map(Number) as [number, number];
    expect(uid).toBeGreaterThan(0);
    // The DaemonSet and the gateway run as this user: the image and the manifests agree.
    const ds = find(kustomizeBuild(BASE_DIR), 'DaemonSet', 'stitch-node');
    expect(podSpec(ds).securityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid });
    expect(podSpec(ds).initContainers[0].command).toEqual(['chown', `${uid}:${gid}`, '/var/lib/stitch']);
    expect(runtime.instructions.find((i) => i.op === 'ENTRYPOINT')!.args).toBe('["node", "collector/dist/cli/main.js"]');
  });

  it('copies compiled output only: no sources, no tests, no whole-context copy', () => {
    for (const i of runtime.instructions.filter((x) => x.op === 'COPY')) {
      const { from, sources } = copyOf(i);
      for (const s of sources) {
        const rel = from ? s.slice(BUILD_ROOT.length + 1) : s;
        expect(rel, i.args).not.toMatch(/^\.?\/?$|(^|\/)(src|test)(\/|$)/);
        if (from) expect(rel, i.args).toMatch(/^[a-z-]+\/dist$/);
      }
    }
    // Host builds and dependencies never enter the context; nothing the Dockerfile copies is ignored.
    expect(ignore.some((re) => re.test('node_modules') && re.test('collector/node_modules'))).toBe(true);
    expect(ignore.some((re) => re.test('collector/dist/cli/main.js'))).toBe(true);
    for (const stage of [build, runtime]) {
      for (const i of stage.instructions.filter((x) => x.op === 'COPY' && !copyOf(x).from)) {
        for (const s of copyOf(i).sources) {
          expect(
            ignore.filter((re) => re.test(s.replace(/\/$/, ''))),
            `${s} is in .dockerignore`,
          ).toEqual([]);
        }
      }
    }
  });

  describe('the runtime stage, replayed', () => {
    let app: string;

    beforeAll(() => {
      // The build stage's output is the repository's own build (global-setup runs tsc -b).
      const workdir = runtime.instructions.find((i) => i.op === 'WORKDIR')!.args;
      app = mkdtempSync(join(tmpdir(), 'stitch-image-'));
      for (const i of runtime.instructions.filter((x) => x.op === 'COPY')) {
        const { from, sources, dest } = copyOf(i);
        expect([undefined, build.name]).toContain(from);
        for (const s of sources) {
          const src = from ? join(ROOT, s.slice(BUILD_ROOT.length + 1)) : join(ROOT, s);
          const target = join(app, dest.startsWith('/') ? dest.slice(workdir.length + 1) : dest);
          const into = dest.endsWith('/') ? join(target, s.split('/').filter(Boolean).at(-1)!) : target;
          mkdirSync(dirname(into), { recursive: true });
          cpSync(src, into, { recursive: true });
        }
      }
      // What `npm ci --workspace=@stitch/collector` lays out: the registry packages (here, the
      // repository's) and a link per workspace to the image's own copy of it.
      mkdirSync(join(app, 'node_modules/@stitch'), { recursive: true });
      for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
        if (entry !== '@stitch' && entry !== '.bin')
          symlinkSync(join(ROOT, 'node_modules', entry), join(app, 'node_modules', entry));
      }
      for (const [name, ws] of WORKSPACE_OF) symlinkSync(join('../..', ws), join(app, 'node_modules', name));
    });

    it('holds the compiled output of every workspace the collector needs, and nothing of the others', () => {
      expect(runtimeWorkspaces()).toEqual(['collector', 'correlation', 'dashboards']);
      for (const ws of WORKSPACES) {
        expect(existsSync(join(app, ws, 'dist')), `${ws}/dist`).toBe(runtimeWorkspaces().includes(ws));
        expect(existsSync(join(app, ws, 'src')), `${ws}/src`).toBe(false);
      }
      expect(statSync(join(app, 'collector/proto')).isDirectory()).toBe(true);
      expect(existsSync(join(app, 'collector/config/default.yaml'))).toBe(true);
    });

    it('runs the CLI: components, dashboards, and validate on the node pipeline', () => {
      const bin = join(app, STITCH_BIN.slice(ROOT.length));
      const components = execFileSync(process.execPath, [bin, 'components', '--json'], { cwd: app, encoding: 'utf8' });
      expect(JSON.parse(components).length).toBeGreaterThan(10);
      // `stitch dashboards` loads @stitch/dashboards only when asked: run it too.
      const out = join(app, 'grafana');
      execFileSync(process.execPath, [bin, 'dashboards', '--out', out], { cwd: app, encoding: 'utf8' });
      expect(readdirSync(join(out, 'dashboards')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
      const docs = kustomizeBuild(BASE_DIR);
      const ds = find(docs, 'DaemonSet', 'stitch-node');
      const args = ['validate'];
      for (const f of configFiles(docs, ds)) {
        writeFileSync(join(app, f.key), f.text);
        args.push('--config', join(app, f.key));
      }
      const validated = execFileSync(process.execPath, [bin, ...args], {
        cwd: app,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...containerEnv(container(ds), TEST_ENV) },
      });
      expect(validated).toContain('configuration is valid');
    });

    it('every package it copies declares the packages its compiled code imports', () => {
      const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
      for (const ws of runtimeWorkspaces()) {
        const declared = new Set(Object.keys(pkg(ws).dependencies ?? {}));
        const missing = new Set<string>();
        const walk = (dir: string) => {
          for (const e of readdirSync(dir, { withFileTypes: true })) {
            const p = join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.name.endsWith('.js')) {
              const src = readFileSync(p, 'utf8');
              for (const m of src.matchAll(
                /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
              )) {
                const spec = (m[1] ?? m[2])!;
                if (spec.startsWith('.') || builtins.has(spec)) continue;
                const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
                if (!declared.has(name)) missing.add(`${name} (${p.slice(app.length + 1)})`);
              }
            }
          }
        };
        walk(join(app, ws, 'dist'));
        expect([...missing], `${ws}/package.json dependencies`).toEqual([]);
      }
    });
  });
});
