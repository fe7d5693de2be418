// The wrappers' own behaviour: retry policy, throttle limits, fault injection.
import { describe, expect, it } from 'vitest';
import {
  NotFoundError,
  UnavailableError,
  type Backend,
  type ObjectInfo,
  type PutOptions,
} from '../../src/engine/storage/backend';
import { FaultInjectingBackend, type FaultOperation } from '../../src/engine/storage/faults';
import { MemoryBackend } from '../../src/engine/storage/memory';
import { RetryingBackend, type RetryInfo } from '../../src/engine/storage/retry';
import { ThrottledBackend } from '../../src/engine/storage/throttle';
import { expectSameBytes, expectStorageError, failure, listNames, patterned } from './conformance';

const noDelay = async (): Promise<void> => {};

/** A backend whose every operation runs `behaviour`, for wrappers that only care about calls and outcomes. */
class ScriptedBackend implements Backend {
  readonly location = 'scripted:';
  calls = 0;
  constructor(private readonly behaviour: (call: number) => Promise<Uint8Array>) {}
  get(): Promise<Uint8Array> {
    return this.behaviour(++this.calls);
  }
  getRange(): Promise<Uint8Array> {
    return this.behaviour(++this.calls);
  }
  async put(): Promise<void> {
    await this.behaviour(++this.calls);
  }
  async head(name: string): Promise<ObjectInfo> {
    return { name, size: (await this.behaviour(++this.calls)).length };
  }
  async *list(): AsyncIterable<ObjectInfo> {
    const data = await this.behaviour(++this.calls);
    yield { name: 'listed', size: data.length };
  }
  async delete(): Promise<void> {
    await this.behaviour(++this.calls);
  }
  async close(): Promise<void> {}
}

/** A listing of three items that records whether it was closed. */
class ClosableListing extends MemoryBackend {
  listingClosed = false;
  override async *list(): AsyncIterable<ObjectInfo> {
    try {
      for (const name of ['one', 'two', 'three']) yield { name, size: 0 };
    } finally {
      this.listingClosed = true;
    }
  }
}

it.each([
  ['RetryingBackend', (inner: Backend): Backend => new RetryingBackend(inner)],
  ['ThrottledBackend', (inner: Backend): Backend => new ThrottledBackend(inner)],
  ['FaultInjectingBackend', (inner: Backend): Backend => new FaultInjectingBackend(inner, { seed: 1 })],
])('%s closes the inner listing when the caller stops early', async (_wrapper, wrap) => {
  for (const stopAfter of [1, 2]) {
    const inner = new ClosableListing();
    let seen = 0;
    for await (const _info of wrap(inner).list('')) if (++seen === stopAfter) break;
    expect(inner.listingClosed).toBe(true);
  }
});

describe('RetryingBackend', () => {
  it('gives up after the configured attempts with the last error', async () => {
    const inner = new ScriptedBackend(async (call) => {
      throw new UnavailableError(`failure ${call}`);
    });
    const retries: RetryInfo[] = [];
    const retrying = new RetryingBackend(inner, { attempts: 3, sleep: noDelay, onRetry: (info) => retries.push(info) });
    const error = await failure(() => retrying.get('data/x'));
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toBe('failure 3');
    expect(inner.calls).toBe(3);
    expect(retries.map(({ operation, name, attempt }) => ({ operation, name, attempt }))).toEqual([
      { operation: 'get', name: 'data/x', attempt: 1 },
      { operation: 'get', name: 'data/x', attempt: 2 },
    ]);
    expect((retries[0]?.error as Error).message).toBe('failure 1');
  });

  it('does not retry NotFoundError', async () => {
    const inner = new ScriptedBackend(async () => {
      throw new NotFoundError('data/x');
    });
    let retried = false;
    const retrying = new RetryingBackend(inner, { sleep: noDelay, onRetry: () => (retried = true) });
    await expectStorageError(() => retrying.head('data/x'), NotFoundError, 'NOT_FOUND');
    expect(inner.calls).toBe(1);
    expect(retried).toBe(false);
  });

  it('does not retry plain errors unless told they are transient', async () => {
    const flaky = (): ScriptedBackend =>
      new ScriptedBackend(async (call) => {
        if (call < 3) throw new Error('socket hang up');
        return new Uint8Array([1]);
      });
    const strict = flaky();
    await expect(new RetryingBackend(strict, { sleep: noDelay }).get('x')).rejects.toThrow('socket hang up');
    expect(strict.calls).toBe(1);
    const lenient = flaky();
    const retrying = new RetryingBackend(lenient, { sleep: noDelay, isTransient: (error) => String(error).includes('hang up') });
    expect(await retrying.get('x')).toEqual(new Uint8Array([1]));
    expect(lenient.calls).toBe(3);
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const inner = new ScriptedBackend(async () => {
      throw new UnavailableError('down');
    });
    const sleeps: number[] = [];
    const options = { attempts: 6, baseDelayMs: 100, maxDelayMs: 500, sleep: async (ms: number) => void sleeps.push(ms) };
    await failure(() => new RetryingBackend(inner, { ...options, random: () => 1 }).delete('x'));
    expect(sleeps).toEqual([100, 200, 400, 500, 500]);
    sleeps.length = 0;
    await failure(() => new RetryingBackend(inner, { ...options, random: () => 0.5 }).delete('x'));
    expect(sleeps).toEqual([50, 100, 200, 250, 250]);
  });

  it('recovers once the failures stop', async () => {
    const inner = new ScriptedBackend(async (call) => {
      if (call <= 2) throw new UnavailableError('busy');
      return patterned(10, 1);
    });
    const retrying = new RetryingBackend(inner, { sleep: noDelay });
    expectSameBytes(await retrying.getRange('x', 0, 10), patterned(10, 1));
    expect(inner.calls).toBe(3);
  });

  it('retries a listing that fails before its first item', async () => {
    const inner = new ScriptedBackend(async (call) => {
      if (call === 1) throw new UnavailableError('cannot start listing');
      return new Uint8Array(7);
    });
    const retrying = new RetryingBackend(inner, { sleep: noDelay });
    expect(await listNames(retrying, '')).toEqual(['listed']);
    expect(inner.calls).toBe(2);
  });

  it('restarts a listing that fails part-way and yields each object once', async () => {
    let starts = 0;
    class FailingMidway extends MemoryBackend {
      override async *list(): AsyncIterable<ObjectInfo> {
        starts++;
        yield { name: 'first', size: 1 };
        if (starts === 1) throw new UnavailableError('connection reset on page 2');
        yield { name: 'second', size: 1 };
      }
    }
    const retrying = new RetryingBackend(new FailingMidway(), { sleep: noDelay });
    const seen: string[] = [];
    for await (const info of retrying.list('')) seen.push(info.name);
    expect(seen).toEqual(['first', 'second']);
    expect(starts).toBe(2);
  });

  it('gives up on a listing that keeps failing part-way after the attempts', async () => {
    class AlwaysFailing extends MemoryBackend {
      override async *list(): AsyncIterable<ObjectInfo> {
        yield { name: 'first', size: 1 };
        throw new UnavailableError('connection reset');
      }
    }
    const retrying = new RetryingBackend(new AlwaysFailing(), { sleep: noDelay, attempts: 3 });
    const seen: string[] = [];
    const error = await failure(async () => {
      for await (const info of retrying.list('')) seen.push(info.name);
    });
    expect(error).toBeInstanceOf(UnavailableError);
    expect(seen).toEqual(['first']);
  });

  it('treats an exclusive put that landed before failing as done', async () => {
    const faulty = new FaultInjectingBackend(new MemoryBackend(), { seed: 1, failureRate: 1, operations: ['put'], failAfterPut: true });
    const retrying = new RetryingBackend(faulty, { sleep: noDelay, onRetry: () => faulty.setFailureRate(0) });
    await retrying.put('locks/mine', patterned(50, 2), { ifNotExists: true });
    expectSameBytes(await retrying.get('locks/mine'), patterned(50, 2));
    expect(faulty.faults.failuresAfterPut).toBe(1);
  });

  it('still reports AlreadyExistsError when the existing object is someone else’s', async () => {
    const memory = new MemoryBackend();
    await memory.put('locks/theirs', patterned(50, 3));
    const faulty = new FaultInjectingBackend(memory, { seed: 1, failureRate: 1, operations: ['put'] });
    const retrying = new RetryingBackend(faulty, { sleep: noDelay, onRetry: () => faulty.setFailureRate(0) });
    const error = await failure(() => retrying.put('locks/theirs', patterned(50, 4), { ifNotExists: true }));
    expect((error as { code?: string }).code).toBe('ALREADY_EXISTS');
    expectSameBytes(await memory.get('locks/theirs'), patterned(50, 3));
  });
});

/** Counts operations in flight inside the wrapped backend; each one lasts a few event-loop turns. */
class InFlightCountingBackend extends MemoryBackend {
  inFlight = 0;
  maxInFlight = 0;

  private async track<T>(operation: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return await operation();
    } finally {
      this.inFlight--;
    }
  }

  override get(name: string): Promise<Uint8Array> {
    return this.track(() => super.get(name));
  }
  override put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.track(() => super.put(name, data, options));
  }
  override head(name: string): Promise<ObjectInfo> {
    return this.track(() => super.head(name));
  }
  override delete(name: string): Promise<void> {
    return this.track(() => super.delete(name));
  }
  override async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const iterator = super.list(prefix)[Symbol.asyncIterator]();
    for (;;) {
      const result = await this.track(() => iterator.next());
      if (result.done) return;
      yield result.value;
    }
  }
}

describe('ThrottledBackend', () => {
  it('never runs more operations at once than its concurrency', async () => {
    const inner = new InFlightCountingBackend();
    const throttled = new ThrottledBackend(inner, { concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => throttled.put(`obj/${i.toString()}`, patterned(10, i))));
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => throttled.get(`obj/${i.toString()}`)),
      ...Array.from({ length: 20 }, (_, i) => throttled.head(`obj/${i.toString()}`)),
      listNames(throttled, 'obj/'),
      listNames(throttled, ''),
    ]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => throttled.delete(`obj/${i.toString()}`)));
    expect(inner.maxInFlight).toBe(3);
    expect(inner.inFlight).toBe(0);
  });

  it('does not deadlock when a caller works on objects while listing them', async () => {
    const throttled = new ThrottledBackend(new MemoryBackend(), { concurrency: 1 });
    await Promise.all(['a/1', 'a/2', 'a/3'].map((name) => throttled.put(name, patterned(1, 0))));
    for await (const info of throttled.list('a/')) await throttled.delete(info.name);
    expect(await listNames(throttled, '')).toEqual([]);
  });

  it('delays puts and gets to the bandwidth limit, measured on the injected clock', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const throttled = new ThrottledBackend(new MemoryBackend(), {
      bytesPerSecond: 1000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    // The first second's worth passes at once (the burst); after that, 1000 bytes cost a second.
    await throttled.put('bw/1', patterned(1000, 1));
    expect(sleeps).toEqual([]);
    await throttled.put('bw/2', patterned(1000, 2));
    expect(sleeps).toEqual([1000]);
    await throttled.get('bw/1');
    expect(sleeps).toEqual([1000, 1000]);
    await throttled.getRange('bw/2', 0, 500);
    expect(sleeps).toEqual([1000, 1000, 500]);
    // Idle time refills the bucket, up to the burst.
    clock += 10_000;
    await throttled.put('bw/3', patterned(1000, 3));
    expect(sleeps).toHaveLength(3);
    // Listing and metadata are not limited by bandwidth.
    await listNames(throttled, '');
    await throttled.head('bw/3');
    expect(sleeps).toHaveLength(3);
  });

  it('makes concurrent transfers queue behind each other', async () => {
    const sleeps: number[] = [];
    const throttled = new ThrottledBackend(new MemoryBackend(), {
      bytesPerSecond: 1000,
      burstBytes: 0,
      now: () => 0,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await Promise.all([1, 2, 3].map((i) => throttled.put(`q/${i.toString()}`, patterned(500, i))));
    expect(sleeps).toEqual([500, 1000, 1500]);
  });
});

describe('FaultInjectingBackend', () => {
  async function outcomes(seed: number, operations = 200): Promise<boolean[]> {
    const memory = new MemoryBackend();
    await memory.put('target', patterned(10, 0));
    const faulty = new FaultInjectingBackend(memory, { seed, failureRate: 0.3 });
    const results: boolean[] = [];
    for (let i = 0; i < operations; i++) {
      results.push(await faulty.head('target').then(() => true, () => false));
    }
    expect(faulty.faults.failures).toBe(results.filter((ok) => !ok).length);
    expect(faulty.faults.byOperation.head).toBe(faulty.faults.failures);
    return results;
  }

  it('is deterministic for a seed', async () => {
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(await outcomes(43)).not.toEqual(first);
    const failures = first.filter((ok) => !ok).length;
    expect(failures).toBeGreaterThan(20);
    expect(failures).toBeLessThan(100);
  });

  it('leaves the object stored when failAfterPut fails a put', async () => {
    const memory = new MemoryBackend();
    const faulty = new FaultInjectingBackend(memory, { seed: 7, failureRate: 1, operations: ['put'], failAfterPut: true });
    await expectStorageError(() => faulty.put('data/landed', patterned(64, 5)), UnavailableError, 'UNAVAILABLE');
    expectSameBytes(await memory.get('data/landed'), patterned(64, 5));
    expect(faulty.faults).toMatchObject({ failures: 1, failuresAfterPut: 1 });
  });

  it('fails before the put when failAfterPut is off', async () => {
    const memory = new MemoryBackend();
    const faulty = new FaultInjectingBackend(memory, { seed: 7, failureRate: 1 });
    await expectStorageError(() => faulty.put('data/lost', patterned(64, 6)), UnavailableError, 'UNAVAILABLE');
    await expectStorageError(() => memory.head('data/lost'), NotFoundError, 'NOT_FOUND');
  });

  it('corrupts exactly one byte of a read, leaving the stored object intact', async () => {
    const memory = new MemoryBackend();
    const data = patterned(256, 8);
    await memory.put('data/x', data);
    const faulty = new FaultInjectingBackend(memory, { seed: 3, failureRate: 1, corruptReads: true });
    for (const read of [await faulty.get('data/x'), await faulty.getRange('data/x', 0, 256)]) {
      const differing = read.reduce((count, byte, i) => count + (byte === data[i] ? 0 : 1), 0);
      expect(differing).toBe(1);
    }
    expectSameBytes(await memory.get('data/x'), data);
    expect(faulty.faults).toMatchObject({ corruptions: 2, failures: 0, byOperation: { get: 1, getRange: 1 } });
  });

  it('targets names and operations, and can be switched off at runtime', async () => {
    const memory = new MemoryBackend();
    await memory.put('data/bad', patterned(1, 9));
    await memory.put('data/good', patterned(1, 10));
    const operations: FaultOperation[] = ['get', 'list'];
    const faulty = new FaultInjectingBackend(memory, { seed: 5, operations, failNames: (name) => name.endsWith('bad') || name === 'data/' });
    await expectStorageError(() => faulty.get('data/bad'), UnavailableError, 'UNAVAILABLE');
    expectSameBytes(await faulty.get('data/good'), patterned(1, 10));
    // head is not among the operations, so even the targeted name passes.
    expect((await faulty.head('data/bad')).size).toBe(1);
    await expectStorageError(() => listNames(faulty, 'data/'), UnavailableError, 'UNAVAILABLE');
    expect(faulty.faults.byOperation).toMatchObject({ get: 1, list: 1, head: 0 });

    faulty.setOptions({ failNames: undefined });
    expectSameBytes(await faulty.get('data/bad'), patterned(1, 9));
    faulty.setFailureRate(1);
    await expectStorageError(() => faulty.get('data/good'), UnavailableError, 'UNAVAILABLE');
    faulty.setFailureRate(0);
    faulty.resetCounts();
    expectSameBytes(await faulty.get('data/good'), patterned(1, 10));
    expect(faulty.faults.failures).toBe(0);
  });

  it('rejects a failure rate outside 0..1', () => {
    const faulty = new FaultInjectingBackend(new MemoryBackend(), { seed: 1 });
    expect(() => faulty.setFailureRate(1.5)).toThrow(RangeError);
    expect(() => new FaultInjectingBackend(new MemoryBackend(), { seed: 1, failureRate: -0.1 })).toThrow(RangeError);
  });
});

describe('TieredBackend', () => {
  it('puts each object in the place of its tier, and reads, lists and deletes across both', async () => {
    const { TieredBackend } = await import('../../src/engine/storage/tiered');
    const hot = new MemoryBackend('memory:hot');
    const cold = new MemoryBackend('memory:cold');
    const tiered = new TieredBackend(hot, cold);
    await tiered.put('data/a', new Uint8Array([1]));
    await tiered.put('data/b', new Uint8Array([2, 3]), { tier: 'cold' });
    expect(await listNames(hot, 'data/')).toEqual(['data/a']);
    expect(await listNames(cold, 'data/')).toEqual(['data/b']);
    expect((await tiered.head('data/b')).tier).toBe('cold');
    expectSameBytes(await tiered.getRange('data/b', 1, 1), new Uint8Array([3]));
    expect(await listNames(tiered, 'data/')).toEqual(['data/a', 'data/b']);
    await tiered.delete('data/b');
    expect(await listNames(cold, 'data/')).toEqual([]);
  });
});
