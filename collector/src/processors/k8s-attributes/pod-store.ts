/**
 * The pod table: one digest per pod of this node, indexed by every association key. A deleted
 * pod stays matchable for the grace period so data that arrives late is still enriched; a new
 * pod that takes over an IP (or any key) wins over a deleted one at once.
 *
 * Memory is proportional to this node's pods: per pod, its digest (identity, the flat attribute
 * strings the rules ask for, container IDs) and its index keys. Nothing else of the pod object
 * is kept.
 */
import { type Association, podKeys } from './association.js';
import { digestPod, type ExtractionRules, type OwnerRef, type PodDigest } from './extract.js';
import type { Pod } from './kube/types.js';

/** A cached pod. */
export interface PodEntry extends PodDigest {
  /** Pod attributes plus the resolved owner's (Deployment, CronJob) once known. */
  attrs: string[];
  /** Index keys this entry holds. */
  keys: string[];
  /** 0 while the pod exists; the deletion time (ms) during the grace period. */
  deletedAt: number;
}

/** Options of the store. */
export interface PodStoreOptions {
  readonly rules: ExtractionRules;
  readonly associations: readonly Association[];
  /** Pod names to ignore (`exclude.pods`, unanchored regular expressions as in the Collector). */
  readonly exclude: readonly RegExp[];
  readonly graceMs: number;
  /** Owner attributes of a ReplicaSet/Job from the cache, or undefined (a GET is then started). */
  ownerAttributes(lookup: OwnerRef, namespace: string): string[] | undefined;
  readonly now?: () => number;
}

const IGNORE_ANNOTATION = 'opentelemetry.io/k8s-processor-ignore';

/** The pod table. */
export class PodStore {
  private readonly byUid = new Map<string, PodEntry>();
  private readonly index = new Map<string, PodEntry>();
  /** Deleted entries in deletion order (so the oldest expires first). */
  private readonly deleted: PodEntry[] = [];
  private readonly now: () => number;

  constructor(private readonly o: PodStoreOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Pods present (not deleted). */
  get livePods(): number {
    return this.byUid.size - this.deleted.length;
  }

  /** Pods kept for their grace period after deletion. */
  get deletedPods(): number {
    return this.deleted.length;
  }

  /** The pod for an association key; deleted pods only within their grace period. */
  lookup(key: string): PodEntry | undefined {
    const e = this.index.get(key);
    if (!e) return undefined;
    if (e.deletedAt !== 0 && this.now() - e.deletedAt > this.o.graceMs) return undefined;
    return e;
  }

  /** Adds or updates a pod (ADDED / MODIFIED / list item). */
  upsert(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (this.excluded(pod)) {
      const old = this.byUid.get(uid);
      if (old) this.drop(old);
      return;
    }
    const digest = digestPod(this.o.rules, pod);
    const attrs = digest.attrs;
    if (digest.lookup) {
      const extra = this.o.ownerAttributes(digest.lookup, digest.namespace);
      if (extra) attrs.push(...extra);
    }
    const entry: PodEntry = { ...digest, attrs, keys: podKeys(this.o.associations, digest), deletedAt: 0 };
    const old = this.byUid.get(uid);
    if (old) {
      if (old.deletedAt !== 0) this.forgetDeleted(old);
      for (const k of old.keys) if (this.index.get(k) === old) this.index.delete(k);
    }
    this.byUid.set(uid, entry);
    for (const k of entry.keys) this.index.set(k, entry);
  }

  /** Marks a pod deleted; it stays matchable for the grace period. */
  remove(pod: Pod): void {
    const e = pod.metadata?.uid ? this.byUid.get(pod.metadata.uid) : undefined;
    if (e === undefined || e.deletedAt !== 0) return;
    e.deletedAt = this.now();
    this.deleted.push(e);
  }

  /** After a (re)list: every live pod not listed was deleted while we were not watching. */
  replaced(uids: ReadonlySet<string>): void {
    for (const e of this.byUid.values())
      if (e.deletedAt === 0 && !uids.has(e.uid)) this.remove({ metadata: { uid: e.uid, name: e.name } });
  }

  /** Adds owner attributes to the pods waiting for `lookup` (after its GET completed). */
  ownerResolved(kind: string, namespace: string, name: string, extra: readonly string[]): void {
    if (extra.length === 0) return;
    for (const e of this.byUid.values()) {
      const l = e.lookup;
      if (!l || l.kind !== kind || l.name !== name || e.namespace !== namespace) continue;
      if (e.attrs.includes(extra[0] as string)) continue;
      e.attrs.push(...extra);
    }
  }

  /** True when some pod still refers to the owner (a failed GET is worth retrying). */
  refersTo(kind: string, namespace: string, name: string): boolean {
    for (const e of this.byUid.values())
      if (e.lookup?.kind === kind && e.lookup.name === name && e.namespace === namespace) return true;
    return false;
  }

  /** True when some pod lives in `namespace`. */
  hasNamespace(namespace: string): boolean {
    for (const e of this.byUid.values()) if (e.namespace === namespace) return true;
    return false;
  }

  /** Forgets deleted pods whose grace period is over. Returns the next expiry time, or 0. */
  sweep(): number {
    const now = this.now();
    while (this.deleted.length > 0) {
      const e = this.deleted[0] as PodEntry;
      if (now - e.deletedAt <= this.o.graceMs) return e.deletedAt + this.o.graceMs;
      this.deleted.shift();
      this.drop(e);
    }
    return 0;
  }

  /** Every entry (for tests and owner bookkeeping). */
  entries(): IterableIterator<PodEntry> {
    return this.byUid.values();
  }

  private excluded(pod: Pod): boolean {
    if (pod.metadata.annotations?.[IGNORE_ANNOTATION] === 'true') return true;
    for (const re of this.o.exclude) if (re.test(pod.metadata.name)) return true;
    return false;
  }

  private drop(e: PodEntry): void {
    if (this.byUid.get(e.uid) === e) this.byUid.delete(e.uid);
    for (const k of e.keys) if (this.index.get(k) === e) this.index.delete(k);
    if (e.deletedAt !== 0) this.forgetDeleted(e);
  }

  private forgetDeleted(e: PodEntry): void {
    const i = this.deleted.indexOf(e);
    if (i >= 0) this.deleted.splice(i, 1);
  }
}
