/** Renders the component registry for `stitch components` and the README's component table. */
import type { Factory } from '../component/component.js';
import type { FactoryRegistry } from '../registry.js';

const KIND_ORDER = ['receiver', 'processor', 'connector', 'exporter', 'extension'] as const;

/** One row per factory: kind, type, signals with their stability, description. */
export interface ComponentRow {
  kind: Factory['kind'];
  type: string;
  signals: string;
  description: string;
}

/** Rows in kind order, then by type. */
export function componentRows(registry: FactoryRegistry): ComponentRow[] {
  const rows: ComponentRow[] = [];
  for (const kind of KIND_ORDER) {
    for (const type of registry.types(kind)) {
      const f = registry.get(kind, type) as Factory;
      rows.push({ kind, type, signals: signalsOf(f), description: f.description });
    }
  }
  return rows;
}

function signalsOf(f: Factory): string {
  if (f.kind === 'extension') return `- (${f.stability})`;
  if (f.kind === 'connector') return f.connections.map((c) => `${c.from}→${c.to} (${c.stability})`).join(', ');
  return Object.entries(f.stability)
    .map(([signal, stability]) => `${signal} (${stability})`)
    .join(', ');
}

/** A plain-text table for the terminal. */
export function componentsText(registry: FactoryRegistry): string {
  const rows = componentRows(registry);
  const header: ComponentRow = {
    kind: 'KIND' as never,
    type: 'TYPE',
    signals: 'SIGNALS (STABILITY)',
    description: 'DESCRIPTION',
  };
  const all = [header, ...rows];
  const w = (k: keyof ComponentRow) => Math.max(...all.map((r) => r[k].length));
  const [wk, wt, ws] = [w('kind'), w('type'), w('signals')];
  return all.map((r) => `${r.kind.padEnd(wk)}  ${r.type.padEnd(wt)}  ${r.signals.padEnd(ws)}  ${r.description}`).join('\n');
}

/** The Markdown table the README embeds between `<!-- components:start -->` and `<!-- components:end -->`. */
export function componentsMarkdown(registry: FactoryRegistry): string {
  const lines = ['| kind | type | signals (stability) | what it does |', '|---|---|---|---|'];
  for (const r of componentRows(registry)) lines.push(`| ${r.kind} | \`${r.type}\` | ${r.signals} | ${r.description} |`);
  return lines.join('\n');
}
