import type { ConsumeContext, Consumer } from '../component/component.js';

/**
 * A consumer whose target is set after construction. The graph creates components upstream of
 * connectors before the pipelines the connectors feed exist; this forwards to the real entry once
 * wiring is complete. Capabilities are read from the target (set before any data flows).
 */
export class LazyConsumer<T> implements Consumer<T> {
  private target: Consumer<T> | undefined;

  constructor(private readonly description: string) {}

  /** Sets the real consumer; called once during graph construction. */
  resolve(target: Consumer<T>): void {
    this.target = target;
  }

  get capabilities() {
    return this.requireTarget().capabilities;
  }

  consume(batch: T, context?: ConsumeContext): Promise<void> {
    return this.requireTarget().consume(batch, context);
  }

  private requireTarget(): Consumer<T> {
    if (!this.target) throw new Error(`pipeline graph bug: ${this.description} was never wired`);
    return this.target;
  }
}
