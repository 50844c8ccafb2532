/** The collector's lifecycle status, readable by extensions such as health_check. */
export type CollectorStatus = 'starting' | 'ready' | 'stopping' | 'stopped';

/** Holds the current status and notifies listeners on change. */
export class StatusBoard {
  private current: CollectorStatus = 'starting';
  private readonly listeners = new Set<(s: CollectorStatus) => void>();

  get value(): CollectorStatus {
    return this.current;
  }

  /** Sets the status (called by the collector runtime only). */
  set(status: CollectorStatus): void {
    this.current = status;
    for (const l of this.listeners) l(status);
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (s: CollectorStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
