/**
 * Pod association: which pod a resource came from. Each rule is a list of sources that must all
 * be present; the first rule whose sources are all present decides (when its pod is unknown the
 * resource is a miss: later rules are not tried, as in the Collector). A rule becomes one index
 * key per pod (`ip\0 10.1.2.3`, `k8s.pod.name\0 api-1\x01k8s.namespace.name\0 shop`…), so a
 * lookup is one string build and one Map.get.
 */
import { isIP } from 'node:net';
import type { KeyValue } from '../../model/types.js';
import { anyValueToString, isSet } from '../../model/values.js';
import type { K8sAttributesConfig } from './config.js';
import type { PodDigest } from './extract.js';

/** What a source reads from a pod. Every IP-valued source shares the `ip` kind. */
type SourceKind = 'ip' | 'uid' | 'container' | 'name' | 'namespace' | 'attr';

interface Source {
  /** Read from the connection (`connection`) or a resource attribute. */
  readonly attribute: string | undefined;
  readonly kind: SourceKind;
  /** The token in index keys: the kind, or the attribute name for `attr`. */
  readonly token: string;
  /** `host.name` only counts when it holds an IP. */
  readonly ipOnly: boolean;
}

/** A compiled association rule. */
export type Association = readonly Source[];

const IP_ATTRIBUTES = new Set(['k8s.pod.ip', 'ip', 'host.name']);

function source(from: 'connection' | 'resource_attribute', name: string): Source {
  if (from === 'connection') return { attribute: undefined, kind: 'ip', token: 'ip', ipOnly: false };
  if (IP_ATTRIBUTES.has(name)) return { attribute: name, kind: 'ip', token: 'ip', ipOnly: name === 'host.name' };
  const kind: SourceKind =
    name === 'k8s.pod.uid'
      ? 'uid'
      : name === 'container.id'
        ? 'container'
        : name === 'k8s.pod.name'
          ? 'name'
          : name === 'k8s.namespace.name'
            ? 'namespace'
            : 'attr';
  return { attribute: name, kind, token: kind === 'attr' ? name : kind, ipOnly: false };
}

/**
 * Compiles `pod_association`. Without rules, the Collector's fallback order applies: the
 * `k8s.pod.ip` attribute, the `ip` attribute, the connection's address, then `host.name` when
 * it is an IP.
 */
export function compileAssociations(config: K8sAttributesConfig['pod_association']): Association[] {
  if (config.length === 0) {
    return [
      [source('resource_attribute', 'k8s.pod.ip')],
      [source('resource_attribute', 'ip')],
      [source('connection', '')],
      [source('resource_attribute', 'host.name')],
    ];
  }
  return config.map((a) => a.sources.map((s) => source(s.from, s.name)));
}

function podValues(s: Source, pod: PodDigest): readonly string[] {
  switch (s.kind) {
    case 'ip':
      return pod.ip ? [pod.ip] : [];
    case 'uid':
      return [pod.uid];
    case 'name':
      return [pod.name];
    case 'namespace':
      return pod.namespace ? [pod.namespace] : [];
    case 'container':
      return pod.containers?.flatMap((c) => c.ids) ?? [];
    case 'attr': {
      for (let i = 0; i < pod.attrs.length; i += 2) if (pod.attrs[i] === s.attribute) return [pod.attrs[i + 1] as string];
      return [];
    }
  }
}

/** The index keys of a pod under every rule (deduplicated: rules sharing sources share keys). */
export function podKeys(associations: readonly Association[], pod: PodDigest): string[] {
  const keys = new Set<string>();
  for (const rule of associations) {
    let partial = [''];
    for (let i = 0; i < rule.length; i++) {
      const s = rule[i] as Source;
      const values = podValues(s, pod);
      const next: string[] = [];
      for (const p of partial) for (const v of values) next.push(`${p}${i > 0 ? '\x01' : ''}${s.token}\x00${v}`);
      partial = next;
      if (partial.length === 0) break;
    }
    for (const k of partial) keys.add(k);
  }
  return [...keys];
}

function stringAttribute(attrs: readonly KeyValue[], key: string): string {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as KeyValue;
    if (kv.key !== key) continue;
    const v = kv.value;
    if (!v) return '';
    return isSet(v, 'stringValue') ? (v.stringValue as string) : anyValueToString(v);
  }
  return '';
}

/** The outcome of reading a resource's identifiers. */
export interface LookupKey {
  /** The index key of the first rule whose sources are all present, or undefined. */
  readonly key: string | undefined;
  /** The connection address when a `connection` source was used (for `k8s.pod.ip`). */
  readonly connectionIp: string | undefined;
}

const NONE: LookupKey = { key: undefined, connectionIp: undefined };

/** Builds the lookup key of a resource (per-record path: no allocation beyond the key string). */
export function lookupKey(
  associations: readonly Association[],
  attrs: readonly KeyValue[],
  clientAddress: string | undefined,
): LookupKey {
  for (const rule of associations) {
    let key = '';
    let connectionIp: string | undefined;
    let complete = true;
    for (let i = 0; i < rule.length; i++) {
      const s = rule[i] as Source;
      let v: string;
      if (s.attribute === undefined) {
        v = clientAddress ?? '';
        connectionIp = v || undefined;
      } else {
        v = stringAttribute(attrs, s.attribute);
        if (s.ipOnly && v !== '' && isIP(v) === 0) v = '';
      }
      if (v === '') {
        complete = false;
        break;
      }
      key += `${i > 0 ? '\x01' : ''}${s.token}\x00${v}`;
    }
    if (complete) return { key, connectionIp };
  }
  return NONE;
}
