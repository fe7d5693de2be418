// RetryingBackend: a wrapper that retries transient failures of the backend it
// wraps (UnavailableError by default) with capped exponential backoff and full
// jitter. Everything else (not found, invalid name, no space) fails at once.
import { setTimeout as delay } from 'node:timers/promises';
import { forwardTierControl, StorageError, type Backend, type ObjectInfo, type PutOptions } from './backend';

export interface RetryInfo {
  operation: string;
  name: string;
  /** The attempt that just failed, from 1. */
  attempt: number;
  error: unknown;
  /** How long the wrapper waits before the next attempt. */
  delayMs: number;
}

export interface RetryOptions {
  /** Total attempts per operation, including the first; default 5. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: RetryInfo) => void;
  /** Which failures are worth retrying; default: StorageErrors with code 'UNAVAILABLE'. */
  isTransient?: (error: unknown) => boolean;
  /** Source of jitter in [0, 1); default Math.random. */
  random?: () => number;
}

/** The contract's marker of a transient failure. Checked by code so errors from another copy of the module still count. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof StorageError && error.code === 'UNAVAILABLE';
}

export class RetryingBackend implements Backend {
  readonly location: string;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;
  private readonly isTransient: (error: unknown) => boolean;
  private readonly random: () => number;
  readonly setTier?: Backend['setTier'];
  readonly thawState?: Backend['thawState'];
  readonly requestThaw?: Backend['requestThaw'];

  constructor(
    private readonly inner: Backend,
    options: RetryOptions = {},
  ) {
    this.location = inner.location;
    this.attempts = options.attempts ?? 5;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${this.attempts}`);
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.onRetry = options.onRetry;
    this.isTransient = options.isTransient ?? isUnavailable;
    this.random = options.random ?? Math.random;
    Object.assign(this, forwardTierControl(inner, (operation, name, run) => this.withRetries(operation, name, run)));
  }

  get(name: string): Promise<Uint8Array> {
    return this.withRetries('get', name, () => this.inner.get(name));
  }

  getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.withRetries('getRange', name, () => this.inner.getRange(name, offset, length, into));
  }

  async put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    let failedTransiently = false;
    try {
      await this.withRetries('put', name, () => this.inner.put(name, data, options), () => (failedTransiently = true));
    } catch (error) {
      const exists = error instanceof StorageError && error.code === 'ALREADY_EXISTS';
      if (!(exists && options?.ifNotExists && failedTransiently)) throw error;
      // The ambiguous case: an earlier attempt may have landed before it failed,
      // and the retry then collides with our own object. If the stored bytes are
      // ours, the put succeeded. (Names are content hashes or random, so equal
      // bytes from another writer are the same object.)
      const stored = await this.get(name);
      if (!sameBytes(stored, data)) throw error;
    }
  }

  head(name: string): Promise<ObjectInfo> {
    return this.withRetries('head', name, () => this.inner.head(name));
  }

  /**
   * A listing that fails part-way (a later page of a long S3 listing) starts
   * again and skips the names already yielded, so callers see each object once.
   */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const yielded = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const iterator = this.inner.list(prefix)[Symbol.asyncIterator]();
      let finished = false;
      try {
        for (;;) {
          let next: IteratorResult<ObjectInfo>;
          try {
            next = await iterator.next();
          } catch (error) {
            await this.backOff('list', prefix, attempt, error);
            break; // start the listing again
          }
          if (next.done) {
            finished = true;
            return;
          }
          if (yielded.has(next.value.name)) continue;
          yielded.add(next.value.name);
          yield next.value;
        }
      } finally {
        // The caller stopped early (or the listing failed): let the inner listing release what it holds.
        if (!finished) await iterator.return?.();
      }
    }
  }

  delete(name: string): Promise<void> {
    return this.withRetries('delete', name, () => this.inner.delete(name));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async withRetries<T>(operation: string, name: string, run: () => Promise<T>, onTransient?: () => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        await this.backOff(operation, name, attempt, error);
        onTransient?.();
      }
    }
  }

  /** Rethrows `error` unless another attempt is allowed; otherwise reports and waits. */
  private async backOff(operation: string, name: string, attempt: number, error: unknown): Promise<void> {
    if (attempt >= this.attempts || !this.isTransient(error)) throw error;
    // Full jitter: uniform in [0, capped exponential], which spreads out clients that failed together.
    const delayMs = this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    this.onRetry?.({ operation, name, attempt, error, delayMs });
    await this.sleep(delayMs);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
