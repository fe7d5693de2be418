// ThrottledBackend: a wrapper that bounds how many operations run at once on
// the backend it wraps and, optionally, the payload bandwidth of puts and gets.
import { setTimeout as delay } from 'node:timers/promises';
import { forwardTierControl, type Backend, type ObjectInfo, type PutOptions } from './backend';

export interface ThrottleOptions {
  /** Operations in flight on the wrapped backend at most; default 8. */
  concurrency?: number;
  /** Payload bytes per second of put, get and getRange together; unlimited when absent. */
  bytesPerSecond?: number;
  /** Bytes that may pass at once after an idle period; default one second's worth. */
  burstBytes?: number;
  /** Milliseconds clock for the bandwidth limit; default performance.now. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class ThrottledBackend implements Backend {
  readonly location: string;
  private readonly slots: ConcurrencyLimit;
  private readonly bandwidth: TokenBucket | undefined;
  readonly setTier?: Backend['setTier'];
  readonly thawState?: Backend['thawState'];
  readonly requestThaw?: Backend['requestThaw'];

  constructor(
    private readonly inner: Backend,
    options: ThrottleOptions = {},
  ) {
    this.location = inner.location;
    this.slots = new ConcurrencyLimit(options.concurrency ?? 8);
    Object.assign(this, forwardTierControl(inner));
    const { bytesPerSecond } = options;
    if (bytesPerSecond !== undefined) {
      this.bandwidth = new TokenBucket(
        bytesPerSecond,
        options.burstBytes ?? bytesPerSecond,
        options.now ?? (() => performance.now()),
        options.sleep ?? ((ms) => delay(ms)),
      );
    }
  }

  async get(name: string): Promise<Uint8Array> {
    const data = await this.slots.run(() => this.inner.get(name));
    // Downloads are paid for after the fact: the size is known only now.
    await this.bandwidth?.take(data.length);
    return data;
  }

  async getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const data = await this.slots.run(() => this.inner.getRange(name, offset, length, into));
    await this.bandwidth?.take(data.length);
    return data;
  }

  async put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    // Wait for bandwidth before taking a slot, so a slow upload does not block heads and lists.
    await this.bandwidth?.take(data.length);
    await this.slots.run(() => this.inner.put(name, data, options));
  }

  head(name: string): Promise<ObjectInfo> {
    return this.slots.run(() => this.inner.head(name));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const iterator = this.inner.list(prefix)[Symbol.asyncIterator]();
    let done = false;
    try {
      while (!done) {
        // A slot is held per step, not for the whole listing: a caller that
        // deletes while it lists must not deadlock on its own listing.
        const result = await this.slots.run(() => iterator.next());
        done = result.done === true;
        if (!result.done) yield result.value;
      }
    } finally {
      if (!done) await iterator.return?.();
    }
  }

  delete(name: string): Promise<void> {
    return this.slots.run(() => this.inner.delete(name));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** At most `limit` tasks run at once; the rest wait in FIFO order. */
class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * Bandwidth limit that may go into debt: a take larger than what is available
 * passes after waiting for the deficit, so objects bigger than the burst still
 * move, and concurrent takers queue behind each other's debt.
 */
class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly capacity: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, got ${bytesPerSecond}`);
    if (!(capacity >= 0)) throw new RangeError(`burstBytes must not be negative, got ${capacity}`);
    this.tokens = capacity;
    this.refilledAt = now();
  }

  async take(bytes: number): Promise<void> {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) * this.bytesPerSecond) / 1000);
    this.refilledAt = now;
    this.tokens -= bytes;
    if (this.tokens < 0) await this.sleep((-this.tokens / this.bytesPerSecond) * 1000);
  }
}
