/**
 * Merging several `--config` files, as the Collector's resolver does: maps merge key by key,
 * anything else (lists, scalars, null, a map meeting a non-map) is replaced by the later file.
 * Nodes are shared, never copied, so each value keeps the location of the file it came from.
 */
import type { MapEntry, MapNode, Node } from './tree.js';

/** Merges `later` over `earlier`; neither input is modified. */
export function mergeNodes(earlier: Node, later: Node): Node {
  if (earlier.kind !== 'map' || later.kind !== 'map') return later;
  return mergeMaps(earlier, later);
}

/** Merges maps key by key; a key present in both keeps the later key's location. */
export function mergeMaps(earlier: MapNode, later: MapNode): MapNode {
  const entries = new Map<string, MapEntry>(earlier.entries);
  for (const [key, entry] of later.entries) {
    const prev = entries.get(key);
    entries.set(key, prev ? { keyLoc: entry.keyLoc, value: mergeNodes(prev.value, entry.value) } : entry);
  }
  return { kind: 'map', entries, loc: later.loc };
}
