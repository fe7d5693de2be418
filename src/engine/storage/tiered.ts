// A remote made of two places: a hot one and a cold one (two buckets, two
// folders, or one bucket whose storage classes are the tiers). Puts go where
// their tier says; reads look in the hot place first, then the cold one;
// listings are the union. When both tiers are one backend (storage classes),
// this is that backend. Changing an object's tier moves it: copy, then
// delete the source, so an interrupted move leaves it in both places (reads
// and listings still see one object) and running it again finishes it.

import { NotFoundError, type Backend, type ObjectInfo, type PutOptions, type ThawState, type Tier } from './backend';

export class TieredBackend implements Backend {
  readonly location: string;

  constructor(private readonly hot: Backend, private readonly cold: Backend) {
    this.location = `${hot.location} (hot) + ${cold.location} (cold)`;
  }

  get(name: string): Promise<Uint8Array> {
    return this.either(name, (b) => b.get(name));
  }

  getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.either(name, (b) => b.getRange(name, offset, length, into));
  }

  put(name: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    return (options.tier === 'cold' ? this.cold : this.hot).put(name, data, options);
  }

  async head(name: string): Promise<ObjectInfo> {
    try {
      return { ...(await this.hot.head(name)), tier: 'hot' };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return { ...(await this.cold.head(name)), tier: 'cold' };
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const seen = new Set<string>();
    for await (const info of this.hot.list(prefix)) {
      seen.add(info.name);
      yield { ...info, tier: 'hot' };
    }
    for await (const info of this.cold.list(prefix)) if (!seen.has(info.name)) yield { ...info, tier: 'cold' };
  }

  async delete(name: string): Promise<void> {
    try {
      await this.hot.delete(name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await this.cold.delete(name);
    }
  }

  async setTier(name: string, tier: Tier): Promise<void> {
    const [from, to] = tier === 'cold' ? [this.hot, this.cold] : [this.cold, this.hot];
    let data: Uint8Array;
    try {
      data = await from.get(name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await to.head(name); // already moved (NotFoundError if it is nowhere)
      return;
    }
    await to.put(name, data, { tier });
    try {
      await from.delete(name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  async thawState(name: string): Promise<ThawState> {
    const where = await this.holder(name);
    return where.thawState ? where.thawState(name) : { state: 'ready' };
  }

  async requestThaw(name: string, days: number): Promise<void> {
    const where = await this.holder(name);
    if (where.requestThaw) await where.requestThaw(name, days);
  }

  async close(): Promise<void> {
    await Promise.all([this.hot.close(), this.cold.close()]);
  }

  private async holder(name: string): Promise<Backend> {
    return (await this.head(name)).tier === 'cold' ? this.cold : this.hot;
  }

  private async either<T>(name: string, read: (b: Backend) => Promise<T>): Promise<T> {
    try {
      return await read(this.hot);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return read(this.cold);
    }
  }
}
