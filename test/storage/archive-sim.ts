// A simulated archive class for tests: no S3 test server delays reads, so this
// wrapper makes cold objects behave as AWS GLACIER does. A cold object cannot
// be read (FrozenError) until a restore has been requested and `thawHours`
// have passed on the test's clock; thawState reports frozen / thawing / ready.
import { FrozenError, type Backend, type ObjectInfo, type PutOptions, type ThawState, type Tier } from '../../src/engine/storage/backend';

export class ArchiveSimulator implements Backend {
  readonly location: string;
  /** Restore requests by object: when the copy becomes readable. */
  readonly restores = new Map<string, number>();
  requests = 0;

  constructor(private readonly inner: Backend, private readonly clock: { now: number }, private readonly thawHours = 4) {
    this.location = `${inner.location} (simulated archive)`;
  }

  async get(name: string): Promise<Uint8Array> {
    await this.assertReadable(name);
    return this.inner.get(name);
  }

  async getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    await this.assertReadable(name);
    return this.inner.getRange(name, offset, length, into);
  }

  put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.inner.put(name, data, options);
  }

  async head(name: string): Promise<ObjectInfo> {
    const info = await this.inner.head(name);
    return { ...info, storageClass: info.tier === 'cold' ? 'GLACIER' : 'STANDARD' };
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  delete(name: string): Promise<void> {
    return this.inner.delete(name);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async setTier(name: string, tier: Tier): Promise<void> {
    if (tier === 'hot') await this.assertReadable(name); // leaving an archive class needs a thawed copy, as on AWS
    if (!this.inner.setTier) throw new Error('inner backend has no tiers');
    await this.inner.setTier(name, tier);
  }

  async thawState(name: string): Promise<ThawState> {
    if ((await this.inner.head(name)).tier !== 'cold') return { state: 'ready' };
    const readyAt = this.restores.get(name);
    if (readyAt === undefined) return { state: 'frozen', storageClass: 'GLACIER' };
    return readyAt <= this.clock.now ? { state: 'ready' } : { state: 'thawing', storageClass: 'GLACIER' };
  }

  async requestThaw(name: string): Promise<void> {
    this.requests++;
    if (!this.restores.has(name)) this.restores.set(name, this.clock.now + this.thawHours * 3_600_000);
  }

  private async assertReadable(name: string): Promise<void> {
    const state = await this.thawState(name);
    if (state.state !== 'ready') throw new FrozenError(name, 'GLACIER', this.location);
  }
}
