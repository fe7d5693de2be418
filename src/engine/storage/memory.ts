// MemoryBackend: a Backend held in a Map, for tests and as the reference
// behaviour of the contract. It keeps its own copies of every object, so
// callers may reuse or mutate buffers they pass in or get back.
import {
  AlreadyExistsError,
  NotFoundError,
  assertValidName,
  assertValidPrefix,
  type Backend,
  type ObjectInfo,
  type PutOptions,
  type Tier,
} from './backend';
import { assertRangeWithin } from './range';

interface StoredObject {
  data: Uint8Array;
  tier: Tier;
}

export class MemoryBackend implements Backend {
  private readonly objects = new Map<string, StoredObject>();
  private closed = false;

  constructor(readonly location = 'memory:') {}

  async get(name: string): Promise<Uint8Array> {
    return this.find(name).data.slice();
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    const { data } = this.find(name);
    assertRangeWithin(name, offset, length, data.length);
    return data.slice(offset, offset + length);
  }

  async put(name: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    this.assertOpen();
    assertValidName(name);
    if (options.ifNotExists && this.objects.has(name)) throw new AlreadyExistsError(name);
    this.objects.set(name, { data: data.slice(), tier: options.tier ?? 'hot' });
  }

  async head(name: string): Promise<ObjectInfo> {
    const { data, tier } = this.find(name);
    return { name, size: data.length, tier };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.assertOpen();
    assertValidPrefix(prefix);
    // A snapshot, so puts and deletes during the iteration cannot disturb it.
    const matches: ObjectInfo[] = [];
    for (const [name, { data, tier }] of this.objects) {
      if (name.startsWith(prefix)) matches.push({ name, size: data.length, tier });
    }
    yield* matches;
  }

  async setTier(name: string, tier: Tier): Promise<void> {
    this.find(name).tier = tier;
  }

  async delete(name: string): Promise<void> {
    this.find(name);
    this.objects.delete(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.objects.clear();
  }

  private find(name: string): StoredObject {
    this.assertOpen();
    assertValidName(name);
    const found = this.objects.get(name);
    if (!found) throw new NotFoundError(name, this.location);
    return found;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`backend ${this.location} is closed`);
  }
}

