// Writing blobs: deduplicates by keyed content id, compresses where it pays,
// seals, fills packs (data and metadata blobs in separate packs, because they
// belong in different tiers; data blobs of different lanes in separate packs
// too, because they have different expected tiers and lifetimes), stores
// full packs, and writes index objects for stored packs. Ordering: a pack is
// stored before any index names it; callers write snapshots only after
// flush(), so snapshots never name unindexed blobs.

import { randomBytes } from 'node:crypto';
import { compressionParams } from '../compress/compression';
import { innerKeyAndNonce, NONCE_LENGTH } from '../crypto/aead';
import { blobWorkers, sealBatchBytes } from '../workers/blob-workers';
import { Limiter } from '../async/limiter';
import { BlobType, blobAd, contentId, objectNames, toHex } from './format';
import type { PackEntries } from './index-file';
import { sharedBuffer, SharedBufferPool } from '../memory/shared-buffers';
import { PackWriter, trailerBytes } from './pack';
import type { Repository } from './repository';

/** Room for a batch of data blobs as the archiver sends them (up to 4 MiB plus one chunk, and the seal overhead). */
const BATCH_ROOM = 4 * 1024 * 1024 + 64 * 1024;
/** Buffer of a metadata pack; a fuller one is stored and a new one started. */
const METADATA_PACK_BUFFER = 4 * 1024 * 1024;

/**
 * The lane of data blobs saved without one (backups). A lane groups chunks
 * expected to share a tier and a lifetime (the versions scanner uses
 * `<folder id>:<content class>`), so that migration moves whole packs and
 * pruning does not delete data early from the cold class.
 */
export const DEFAULT_LANE = '';
/**
 * Data lanes with open packs at once. Each open pack holds a buffer of about
 * a pack's size, so a new lane beyond this first stores the open packs of the
 * least recently used lane (partly filled: the price of many lanes at once).
 * Three covers a scan: the media and text lanes of the folder being scanned,
 * and the previous folder's last lane finishing.
 */
export const MAX_OPEN_LANES = 3;

export interface BlobStoreStats {
  /** Blobs stored by this writer. */
  newBlobs: number;
  /** Plaintext bytes of those blobs. */
  newBytes: number;
  /** Bytes they take once compressed and sealed. */
  storedBytes: number;
  /** Blobs that were already in the repository (or stored twice in this run). */
  dedupedBlobs: number;
  dedupedBytes: number;
  packs: number;
}

export interface SaveResult {
  id: Uint8Array;
  /** False when the blob was already stored. */
  isNew: boolean;
  /** Settles when the blob is in a pack writer (not yet stored). */
  done: Promise<void>;
}

export interface BlobStoreOptions {
  /** Packs being stored at once. */
  uploadConcurrency?: number;
  /** Write an index object after this many packs, so an interrupted run keeps its work. */
  indexEvery?: number;
}

/** A pack being filled, and the batch being sealed into it (one at a time, so blobs stay contiguous). */
interface OpenPack {
  writer: PackWriter;
  busy: Promise<void> | undefined;
}

/** Open packs of one lane (or of metadata), and how many it may have. */
interface Lane {
  /** Changed in place only: batches in flight hold the lane and look again after each wait. */
  readonly packs: OpenPack[];
  readonly limit: number;
  /** Tick of the last batch that asked for this lane (least recently used goes first). */
  used: number;
}

export class BlobStore {
  readonly stats: BlobStoreStats = { newBlobs: 0, newBytes: 0, storedBytes: 0, dedupedBlobs: 0, dedupedBytes: 0, packs: 0 };
  private readonly pending = new Set<string>();
  /**
   * Open data packs by lane. Blob workers seal batches straight into a pack's
   * buffer; each pack takes one batch at a time, so the default lane has two
   * per worker: a worker finishing one batch always finds the next queued.
   * Named lanes (version scans, which read and diff between batches) get one
   * per worker: enough to keep every worker busy, so MAX_OPEN_LANES named
   * lanes hold at most 3 × writers pack buffers (the default lane alone: 2 ×
   * writers). Lanes are never removed (batches in flight hold them); one
   * without packs costs nothing.
   */
  private readonly lanes = new Map<string, Lane>();
  private readonly meta: Lane = { packs: [], limit: 1, used: 0 };
  private tick = 0;
  private readonly uploads: Limiter;
  private readonly inFlight = new Set<Promise<void>>();
  private unindexed: PackEntries[] = [];
  private failure: unknown;
  private readonly indexEvery: number;
  private readonly buffers: SharedBufferPool;

  constructor(private readonly repo: Repository, options: BlobStoreOptions = {}) {
    this.uploads = new Limiter(options.uploadConcurrency ?? 2);
    this.indexEvery = options.indexEvery ?? 16;
    // A pack short of its target size always has room for one more batch.
    this.buffers = new SharedBufferPool(repo.config.packSize + BATCH_ROOM + repo.config.chunker.maxSize + trailerBytes(4096), 2 * blobWorkers.writers + 2);
  }

  /**
   * Hashes `data` now; if new, compresses, seals and packs it in the
   * background. `lane` applies to data blobs only: metadata blobs (trees,
   * lists) always go to metadata packs. A blob already stored, or being
   * stored through another lane, stays where it is.
   */
  save(type: BlobType, data: Uint8Array, lane = DEFAULT_LANE): SaveResult {
    this.throwIfFailed();
    const id = contentId(this.repo.hasher, type, data);
    if (!this.claim(id, data.length)) return { id, isNew: false, done: Promise.resolve() };
    return { id, isNew: true, done: this.packMany(type, [{ id, data }], lane) };
  }

  /** Stores every partial pack and indexes everything stored. */
  async flush(): Promise<void> {
    for (const lane of [...this.lanes.values(), this.meta]) {
      for (;;) {
        const busy = lane.packs.map((p) => p.busy).filter((b) => b !== undefined);
        if (busy.length === 0) break;
        await Promise.allSettled(busy);
      }
      for (const pack of lane.packs.splice(0)) {
        if (pack.writer.count > 0) await this.store(pack.writer);
      }
    }
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    await this.writeIndex();
  }

  /**
   * Saves a batch of file chunks: ids are computed by a blob worker,
   * duplicates dropped, and the new ones compressed and sealed by a blob
   * worker into a pack. Resolves with the ids, in order, once the new blobs
   * are in pack writers (and the chunks' memory is no longer read). New
   * chunks go to packs of `lane` only (duplicates stay where they are).
   */
  async saveData(chunks: Uint8Array[], lane = DEFAULT_LANE): Promise<Uint8Array[]> {
    this.throwIfFailed();
    const ids = await blobWorkers.hashBatch(this.repo.keys.contentId, chunks);
    const fresh = chunks.map((data, i) => ({ id: ids[i] as Uint8Array, data })).filter(({ id, data }) => this.claim(id, data.length));
    if (fresh.length > 0) await this.packMany(BlobType.data, fresh, lane);
    return ids;
  }

  /** Marks a blob as being stored by this run; false (and counted as deduplicated) if it already is or was. */
  private claim(id: Uint8Array, length: number): boolean {
    const hex = toHex(id);
    if (this.pending.has(hex) || this.repo.index.has(id)) {
      this.stats.dedupedBlobs++;
      this.stats.dedupedBytes += length;
      return false;
    }
    this.pending.add(hex);
    this.stats.newBlobs++;
    this.stats.newBytes += length;
    return true;
  }

  /**
   * A blob worker compresses and seals the batch straight into an open pack's
   * buffer; only the HChaCha20 subkey step happens here. Stores the pack once
   * it reaches the target size.
   */
  private async packMany(type: BlobType, blobs: Array<{ id: Uint8Array; data: Uint8Array }>, laneName: string): Promise<void> {
    const kind = type === BlobType.data ? 'data' : 'meta';
    const lane = kind === 'data' ? this.dataLane(laneName) : this.meta;
    lane.used = ++this.tick;
    const nonces = randomBytes(NONCE_LENGTH * blobs.length);
    const jobs = blobs.map(({ id, data }, i) => {
      const nonce = new Uint8Array(nonces.buffer, nonces.byteOffset + i * NONCE_LENGTH, NONCE_LENGTH);
      const { subkey, innerNonce } = innerKeyAndNonce(this.repo.keys.encryption, nonce);
      return { data, params: compressionParams(data), nonce, subkey, innerNonce, ad: blobAd(type, id) };
    });
    const { pack, release } = await this.takePack(lane, kind, sealBatchBytes(blobs.map((b) => b.data.length)), blobs.length);
    try {
      const sealed = await blobWorkers.sealBatch(jobs, pack.writer.tail());
      sealed.forEach((result, i) => {
        const { id, data } = blobs[i] as { id: Uint8Array; data: Uint8Array };
        this.stats.storedBytes += pack.writer.addPlaced({ id, type, compression: result.algo, rawLength: data.length }, result.bytes.length);
      });
    } finally {
      release();
    }
    if (pack.writer.size >= this.repo.config.packSize && !pack.busy) {
      const at = lane.packs.indexOf(pack);
      if (at >= 0) {
        lane.packs.splice(at, 1);
        await this.store(pack.writer);
      }
    }
  }

  /** The data lane named `name`, created on first use. */
  private dataLane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { packs: [], limit: name === DEFAULT_LANE ? 2 * blobWorkers.writers : blobWorkers.writers, used: 0 };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /**
   * Makes way for a lane about to open its first pack while MAX_OPEN_LANES
   * others have packs open: stores the idle open packs of the least recently
   * used of them, or, when all of its packs are busy, waits for one. The
   * caller looks again afterwards (lanes may have changed meanwhile).
   */
  private async retireLeastRecentLane(except: Lane): Promise<void> {
    let victim: Lane | undefined;
    for (const lane of this.lanes.values()) {
      if (lane !== except && lane.packs.length > 0 && (!victim || lane.used < victim.used)) victim = lane;
    }
    if (!victim) return;
    const idle = victim.packs.filter((p) => p.busy === undefined);
    if (idle.length === 0) {
      await Promise.race(victim.packs.map((p) => p.busy));
      return;
    }
    // Out of the lane before any await, so no batch claims them meanwhile.
    for (const pack of idle) victim.packs.splice(victim.packs.indexOf(pack), 1);
    for (const pack of idle) {
      if (pack.writer.count > 0) await this.store(pack.writer);
    }
  }

  /** Data lanes other than `except` that have packs open. */
  private openLanesBesides(except: Lane): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (lane !== except && lane.packs.length > 0) n++;
    return n;
  }

  /**
   * An open pack of `lane` with room for the batch, marked busy (until
   * release()) before anyone else can look; waits for one if need be.
   */
  private async takePack(lane: Lane, kind: 'data' | 'meta', sealedBytes: number, count: number): Promise<{ pack: OpenPack; release: () => void }> {
    const claim = (pack: OpenPack): { pack: OpenPack; release: () => void } => {
      let release: () => void = () => undefined;
      pack.busy = new Promise<void>((resolve) => {
        release = () => {
          pack.busy = undefined;
          resolve();
        };
      });
      return { pack, release };
    };
    const list = lane.packs;
    for (;;) {
      const free = list.find((p) => p.busy === undefined);
      if (free) {
        if (free.writer.room(sealedBytes, count)) return claim(free);
        list.splice(list.indexOf(free), 1);
        await this.store(free.writer); // another batch may take or open a pack meanwhile: look again
        continue;
      }
      if (list.length < lane.limit) {
        // A lane's first pack: only MAX_OPEN_LANES lanes hold pack buffers at once.
        if (kind === 'data' && list.length === 0 && this.openLanesBesides(lane) >= MAX_OPEN_LANES) {
          await this.retireLeastRecentLane(lane);
          continue;
        }
        const need = sealedBytes + trailerBytes(count);
        // Metadata (trees, chunk lists) is small: its packs get a small buffer of their own.
        const buffer = kind === 'data' ? this.buffers.take(need) : sharedBuffer(Math.max(need, METADATA_PACK_BUFFER));
        const pack: OpenPack = { writer: new PackWriter(this.repo.keys.encryption, buffer), busy: undefined };
        list.push(pack);
        return claim(pack);
      }
      await Promise.race(list.map((p) => p.busy));
    }
  }

  /** Starts storing a pack; resolves once an upload slot is taken (back-pressure). */
  private async store(writer: PackWriter): Promise<void> {
    await this.uploads.acquire();
    let pack;
    try {
      pack = await writer.finish();
    } catch (error) {
      this.uploads.release(); // never leak the slot: later stores would wait forever
      throw error;
    }
    const upload = (async () => {
      try {
        await this.repo.backend.put(objectNames.pack(pack.id), pack.bytes, { tier: 'hot' });
        for (const entry of pack.entries) {
          this.repo.index.add(pack.id, entry);
          this.pending.delete(toHex(entry.id));
        }
        this.stats.packs++;
        this.unindexed.push({ pack: pack.id, size: pack.bytes.length, entries: pack.entries });
        if (this.unindexed.length >= this.indexEvery) await this.writeIndex();
      } catch (error) {
        this.failure ??= error;
      } finally {
        this.buffers.give(pack.buffer);
        this.uploads.release();
      }
    })();
    this.inFlight.add(upload);
    void upload.finally(() => this.inFlight.delete(upload));
  }

  private async writeIndex(): Promise<void> {
    if (this.unindexed.length === 0) return;
    const packs = this.unindexed;
    this.unindexed = [];
    await this.repo.writeIndex(packs);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
