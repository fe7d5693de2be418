// Writing blobs: deduplicates by keyed content id, compresses where it pays,
// seals, fills packs (data and metadata blobs in separate packs, because they
// belong in different tiers), stores full packs, and writes index objects for
// stored packs. Ordering: a pack is stored before any index names it; callers
// write snapshots only after flush(), so snapshots never name unindexed blobs.

import { randomBytes } from 'node:crypto';
import { compressionParams, MAX_KEPT_RATIO } from '../compress/compression';
import { innerKeyAndNonce, NONCE_LENGTH, SEAL_OVERHEAD, TAG_LENGTH } from '../crypto/aead';
import { blobWorkers } from '../workers/blob-workers';
import { Limiter } from '../async/limiter';
import { BlobType, blobAd, contentId, objectNames, toHex } from './format';
import type { PackEntries } from './index-file';
import { packBuffer, PackBufferPool, PackWriter, trailerBytes } from './pack';
import type { Repository } from './repository';

/** Buffer of a metadata pack; a fuller one is stored and a new one started. */
const METADATA_PACK_BUFFER = 4 * 1024 * 1024;

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

export class BlobStore {
  readonly stats: BlobStoreStats = { newBlobs: 0, newBytes: 0, storedBytes: 0, dedupedBlobs: 0, dedupedBytes: 0, packs: 0 };
  private readonly pending = new Set<string>();
  private readonly writers = new Map<'data' | 'meta', PackWriter>();
  private readonly uploads: Limiter;
  private readonly inFlight = new Set<Promise<void>>();
  private unindexed: PackEntries[] = [];
  private failure: unknown;
  private readonly indexEvery: number;
  private readonly buffers: PackBufferPool;

  constructor(private readonly repo: Repository, options: BlobStoreOptions = {}) {
    this.uploads = new Limiter(options.uploadConcurrency ?? 2);
    this.indexEvery = options.indexEvery ?? 16;
    // Room for a full pack plus the largest chunk that can push it over.
    const packSize = repo.config.packSize;
    this.buffers = new PackBufferPool(packSize + repo.config.chunker.maxSize + SEAL_OVERHEAD + trailerBytes(4096), 2);
  }

  /** Hashes `data` now; if new, compresses, seals and packs it in the background. */
  save(type: BlobType, data: Uint8Array): SaveResult {
    this.throwIfFailed();
    const id = contentId(this.repo.hasher, type, data);
    if (!this.claim(id, data.length)) return { id, isNew: false, done: Promise.resolve() };
    return { id, isNew: true, done: this.packMany(type, [{ id, data }]) };
  }

  /** Stores every partial pack and indexes everything stored. */
  async flush(): Promise<void> {
    for (const kind of ['data', 'meta'] as const) {
      const writer = this.writers.get(kind);
      if (writer && writer.count > 0) {
        this.writers.delete(kind);
        await this.store(writer);
      }
    }
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    await this.writeIndex();
  }

  /**
   * Saves a batch of file chunks: ids are computed here, duplicates dropped,
   * and the new ones compressed and sealed by a blob worker (one message for
   * the batch) and packed. Resolves with the ids, in order, once the new blobs
   * are in pack writers.
   */
  async saveData(chunks: Uint8Array[]): Promise<Uint8Array[]> {
    this.throwIfFailed();
    // Ids on this thread (HMAC runs at ~1.5 GB/s natively): hashing in the
    // workers measured slower, as they are the busier side.
    const ids = chunks.map((chunk) => contentId(this.repo.hasher, BlobType.data, chunk));
    const fresh = chunks.map((data, i) => ({ id: ids[i] as Uint8Array, data })).filter(({ id, data }) => this.claim(id, data.length));
    if (fresh.length > 0) await this.packMany(BlobType.data, fresh);
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

  /** Compression and encryption run in a blob worker; only the HChaCha20 subkey step and the copy into the pack happen here. */
  private async packMany(type: BlobType, blobs: Array<{ id: Uint8Array; data: Uint8Array }>): Promise<void> {
    const prepared = blobs.map(({ id, data }) => {
      const nonce = randomBytes(NONCE_LENGTH);
      const { subkey, innerNonce } = innerKeyAndNonce(this.repo.keys.encryption, nonce);
      return { id, nonce, job: { data, params: compressionParams(data), maxKeptRatio: MAX_KEPT_RATIO, subkey, innerNonce, ad: blobAd(type, id) } };
    });
    const sealed = await blobWorkers.sealBatch(prepared.map((p) => p.job));
    for (let i = 0; i < prepared.length; i++) {
      const { id, nonce, job } = prepared[i] as (typeof prepared)[number];
      const result = sealed[i] as { bytes: Uint8Array; algo: number };
      await this.place(type, { id, type, compression: result.algo, rawLength: job.data.length }, nonce, result.bytes);
    }
  }

  /** Appends a sealed blob to the pack of its kind, storing packs as they fill. */
  private async place(type: BlobType, entry: { id: Uint8Array; type: number; compression: number; rawLength: number }, nonce: Uint8Array, sealed: Uint8Array): Promise<void> {
    const storedLength = sealed.length - TAG_LENGTH;
    const kind = type === BlobType.data ? 'data' : 'meta';
    let writer: PackWriter | undefined;
    for (;;) {
      writer = this.writers.get(kind);
      if (!writer) {
        const need = storedLength + SEAL_OVERHEAD + trailerBytes(1);
        // Metadata (trees, chunk lists) is small: its packs get a small buffer of their own.
        const buffer = kind === 'data' ? this.buffers.take(need) : packBuffer(Math.max(need, METADATA_PACK_BUFFER));
        writer = new PackWriter(this.repo.keys.encryption, buffer);
        this.writers.set(kind, writer);
      }
      if (writer.fits(storedLength)) break;
      this.writers.delete(kind);
      await this.store(writer); // another save may start a new writer meanwhile: look again
    }
    this.stats.storedBytes += writer.addSealed(entry, nonce, sealed);
    if (writer.size >= this.repo.config.packSize) {
      this.writers.delete(kind);
      await this.store(writer);
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
