// The local repository as the engine reads it: the local objects, plus the
// packs evicted here because a remote holds them. Reading an evicted pack
// fetches it back whole from that remote (thawing it first if it is
// archived), keeps it locally again and serves the read: eviction is
// invisible to everything above. Content reads of packs are recorded for the
// placement policy (tier-state.ts). Sync works on the plain local backend
// instead, so copying packs never counts as reading them.

import { DamagedObjectError } from '../errors';
import { objectNames } from '../repo/format';
import { NotFoundError, type Backend, type ObjectInfo, type PutOptions } from '../storage/backend';
import { readThawing, type ThawOptions } from './thaw';
import type { TierState } from './tier-state';
import { sha256Hex } from '../crypto/sha256';

export interface LocalViewOptions {
  tierState: TierState;
  /** Opens a remote by name (the one an evicted pack was left on). */
  openRemote: (name: string) => Promise<Backend>;
  /** Record reads of packs (default true; off for check, which reads everything). */
  trackReads?: boolean;
  thaw?: Omit<ThawOptions, 'tierState'>;
  /** Told when a pack is fetched back from a remote. */
  onFetch?: (name: string, bytes: number) => void;
}

export class LocalView implements Backend {
  readonly location: string;
  private readonly remotes = new Map<string, Promise<Backend>>();
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(readonly local: Backend, private readonly options: LocalViewOptions) {
    this.location = local.location;
  }

  get tierState(): TierState {
    return this.options.tierState;
  }

  set trackReads(on: boolean) {
    this.options.trackReads = on;
  }

  async get(name: string): Promise<Uint8Array> {
    this.noteRead(name);
    return this.local.get(name).catch((error: unknown) => this.afterFetch(name, error, () => this.local.get(name)));
  }

  async getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    this.noteRead(name);
    return this.local.getRange(name, offset, length, into).catch((error: unknown) => this.afterFetch(name, error, () => this.local.getRange(name, offset, length, into)));
  }

  put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.local.put(name, data, options);
  }

  async head(name: string): Promise<ObjectInfo> {
    try {
      return await this.local.head(name);
    } catch (error) {
      const evicted = this.options.tierState.evictedPack(name);
      if (!(error instanceof NotFoundError) || !evicted) throw error;
      return { name, size: evicted.size, tier: 'cold' };
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const seen = new Set<string>();
    for await (const info of this.local.list(prefix)) {
      seen.add(info.name);
      yield info;
    }
    for (const [name, e] of this.options.tierState.evicted()) if (name.startsWith(prefix) && !seen.has(name)) yield { name, size: e.size, tier: 'cold' };
  }

  async delete(name: string): Promise<void> {
    await this.local.delete(name);
  }

  /** Saves the read record and closes any remote opened for fetching. */
  async close(): Promise<void> {
    await this.options.tierState.save();
    const remotes = await Promise.allSettled(this.remotes.values());
    for (const r of remotes) if (r.status === 'fulfilled') await r.value.close();
    await this.local.close();
  }

  /** Fetches evicted packs back (prefetch); resolves once all are local. */
  async fetch(names: string[]): Promise<void> {
    for (const name of names) if (this.options.tierState.isEvicted(name)) await this.fetchBack(name);
  }

  private noteRead(name: string): void {
    if (this.options.trackReads !== false && name.startsWith(objectNames.packPrefix)) this.options.tierState.recordRead(name);
  }

  private async afterFetch<T>(name: string, error: unknown, retry: () => Promise<T>): Promise<T> {
    if (!(error instanceof NotFoundError) || !this.options.tierState.isEvicted(name)) throw error;
    await this.fetchBack(name);
    return retry();
  }

  private fetchBack(name: string): Promise<void> {
    let running = this.fetching.get(name);
    if (!running) {
      running = this.fetchOnce(name).finally(() => this.fetching.delete(name));
      this.fetching.set(name, running);
    }
    return running;
  }

  private async fetchOnce(name: string): Promise<void> {
    const evicted = this.options.tierState.evictedPack(name);
    if (!evicted) return;
    let remote = this.remotes.get(evicted.remote);
    if (!remote) {
      remote = this.options.openRemote(evicted.remote);
      this.remotes.set(evicted.remote, remote);
    }
    const backend = await remote;
    const data = await readThawing(backend, name, () => backend.get(name), { ...this.options.thaw, tierState: this.options.tierState });
    // A pack is named by the SHA-256 of its bytes: a damaged copy must not replace the missing one.
    if (sha256Hex(data) !== name.slice(name.lastIndexOf('/') + 1)) {
      throw new DamagedObjectError(name, `the copy on remote "${evicted.remote}" does not match its name (damaged); it was not fetched`);
    }
    await this.local.put(name, data);
    this.options.tierState.markFetched(name);
    await this.options.tierState.save();
    this.options.onFetch?.(name, data.length);
  }
}
