// FaultInjectingBackend: a test wrapper that makes the backend it wraps fail,
// deterministically from a seed: transient errors, corrupted reads, and puts
// that land but report failure (the ambiguous "did it land?" case).
import { forwardTierControl, UnavailableError, type Backend, type ObjectInfo, type PutOptions } from './backend';

export type FaultOperation = 'get' | 'getRange' | 'put' | 'head' | 'list' | 'delete';

const ALL_OPERATIONS: readonly FaultOperation[] = ['get', 'getRange', 'put', 'head', 'list', 'delete'];

export interface FaultOptions {
  seed: number;
  /** Chance, 0..1, that an operation in `operations` gets a fault; default 0. */
  failureRate?: number;
  /** Operations that may get a fault; default all. */
  operations?: FaultOperation[];
  /** Names (prefixes, for list) that always get a fault, whatever the rate, in the operations above. */
  failNames?: (name: string) => boolean;
  /** A fault on get/getRange flips one byte of the returned data instead of throwing. */
  corruptReads?: boolean;
  /** A fault on put performs the put, then throws UnavailableError. */
  failAfterPut?: boolean;
}

export interface FaultCounts {
  /** Operations that threw an injected UnavailableError, including failed-after-put. */
  failures: number;
  /** Puts that landed and then threw. */
  failuresAfterPut: number;
  /** Reads that returned a flipped byte. */
  corruptions: number;
  /** All injected faults, by operation. */
  byOperation: Record<FaultOperation, number>;
}

export class FaultInjectingBackend implements Backend {
  readonly location: string;
  private readonly random: () => number;
  private options: Required<Omit<FaultOptions, 'seed' | 'failNames'>> & Pick<FaultOptions, 'failNames'>;
  private counts: FaultCounts = emptyCounts();
  readonly setTier?: Backend['setTier'];
  readonly thawState?: Backend['thawState'];
  readonly requestThaw?: Backend['requestThaw'];

  constructor(
    private readonly inner: Backend,
    options: FaultOptions,
  ) {
    this.location = inner.location;
    this.random = mulberry32(options.seed);
    Object.assign(this, forwardTierControl(inner));
    this.options = { failureRate: 0, operations: [...ALL_OPERATIONS], corruptReads: false, failAfterPut: false };
    const { seed: _seed, ...changeable } = options;
    this.setOptions(changeable);
  }

  /** Changes any option but the seed; the random sequence continues where it was. */
  setOptions(options: Partial<Omit<FaultOptions, 'seed'>>): void {
    const failureRate = options.failureRate ?? this.options.failureRate;
    if (!(failureRate >= 0 && failureRate <= 1)) throw new RangeError(`failureRate must be within 0..1, got ${failureRate}`);
    this.options = {
      failureRate,
      operations: options.operations ? [...options.operations] : this.options.operations,
      corruptReads: options.corruptReads ?? this.options.corruptReads,
      failAfterPut: options.failAfterPut ?? this.options.failAfterPut,
      // Passing failNames: undefined removes the targeting.
      failNames: 'failNames' in options ? options.failNames : this.options.failNames,
    };
  }

  setFailureRate(failureRate: number): void {
    this.setOptions({ failureRate });
  }

  /** A copy of the counters of faults injected so far. */
  get faults(): FaultCounts {
    return { ...this.counts, byOperation: { ...this.counts.byOperation } };
  }

  resetCounts(): void {
    this.counts = emptyCounts();
  }

  async get(name: string): Promise<Uint8Array> {
    return this.read('get', name, () => this.inner.get(name));
  }

  async getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.read('getRange', name, () => this.inner.getRange(name, offset, length, into));
  }

  async put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    if (!this.shouldFault('put', name)) return this.inner.put(name, data, options);
    if (!this.options.failAfterPut) throw this.fail('put', name);
    await this.inner.put(name, data, options);
    this.counts.failuresAfterPut++;
    throw this.fail('put', name, 'after the put landed');
  }

  async head(name: string): Promise<ObjectInfo> {
    if (this.shouldFault('head', name)) throw this.fail('head', name);
    return this.inner.head(name);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Faults come before the first item, like a listing that cannot start.
    if (this.shouldFault('list', prefix)) throw this.fail('list', prefix);
    yield* this.inner.list(prefix);
  }

  async delete(name: string): Promise<void> {
    if (this.shouldFault('delete', name)) throw this.fail('delete', name);
    return this.inner.delete(name);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async read(operation: 'get' | 'getRange', name: string, run: () => Promise<Uint8Array>): Promise<Uint8Array> {
    // Decide before awaiting, so the random sequence follows the order of calls.
    if (!this.shouldFault(operation, name)) return run();
    if (!this.options.corruptReads) throw this.fail(operation, name);
    const position = this.random();
    const data = await run();
    // An empty read has no byte to flip; it fails instead.
    if (data.length === 0) throw this.fail(operation, name, 'on an empty read');
    const corrupted = data.slice();
    const index = Math.floor(position * corrupted.length);
    corrupted[index] = (corrupted[index] ?? 0) ^ 0xff;
    this.counts.corruptions++;
    this.counts.byOperation[operation]++;
    return corrupted;
  }

  private shouldFault(operation: FaultOperation, name: string): boolean {
    if (!this.options.operations.includes(operation)) return false;
    // Draw on every eligible call, so targeted names and rate changes do not shift later draws.
    const draw = this.random();
    return this.options.failNames?.(name) === true || draw < this.options.failureRate;
  }

  private fail(operation: FaultOperation, name: string, when = ''): UnavailableError {
    this.counts.failures++;
    this.counts.byOperation[operation]++;
    return new UnavailableError(`injected fault: ${operation} ${name}${when ? ` ${when}` : ''}`);
  }
}

function emptyCounts(): FaultCounts {
  return { failures: 0, failuresAfterPut: 0, corruptions: 0, byOperation: { get: 0, getRange: 0, put: 0, head: 0, list: 0, delete: 0 } };
}

/** Small, fast, seedable PRNG (mulberry32); quality is ample for fault schedules. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
