// Writing blobs: deduplicates by keyed content id, compresses where it pays,
// seals, fills packs (data and metadata blobs in separate packs, because they
// belong in different tiers), stores full packs, and writes index objects for
// stored packs. Ordering: a pack is stored before any index names it; callers
// write snapshots only after flush(), so snapshots never name unindexed blobs.

import { compressChunk } from '../compress/compression';
import { SEAL_OVERHEAD } from '../crypto/aead';
import { Limiter } from '../async/limiter';
import { BlobType, objectNames, toHex } from './format';
import type { PackEntries } from './index-file';
import { PackBufferPool, PackWriter, trailerBytes, type FinishedPack } from './pack';
import type { Repository } from './repository';

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
  onPackStored?: (pack: FinishedPack) => void;
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

  constructor(private readonly repo: Repository, private readonly options: BlobStoreOptions = {}) {
    this.uploads = new Limiter(options.uploadConcurrency ?? 2);
    this.indexEvery = options.indexEvery ?? 16;
    // Room for a full pack plus the largest chunk that can push it over.
    const packSize = repo.config.packSize;
    this.buffers = new PackBufferPool(packSize + repo.config.chunker.maxSize + SEAL_OVERHEAD + trailerBytes(4096));
  }

  /** Hashes `data` now; if new, compresses, seals and packs it in the background. */
  save(type: BlobType, data: Uint8Array): SaveResult {
    this.throwIfFailed();
    const id = this.repo.hasher.id(data);
    const hex = toHex(id);
    if (this.pending.has(hex) || this.repo.index.has(id)) {
      this.stats.dedupedBlobs++;
      this.stats.dedupedBytes += data.length;
      return { id, isNew: false, done: Promise.resolve() };
    }
    this.pending.add(hex);
    this.stats.newBlobs++;
    this.stats.newBytes += data.length;
    const done = this.pack(type, id, data);
    return { id, isNew: true, done };
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

  private async pack(type: BlobType, id: Uint8Array, data: Uint8Array): Promise<void> {
    const compressed = await compressChunk(data);
    const kind = type === BlobType.data ? 'data' : 'meta';
    let writer: PackWriter | undefined;
    for (;;) {
      writer = this.writers.get(kind);
      if (!writer) {
        const need = compressed.data.length + SEAL_OVERHEAD + trailerBytes(1);
        writer = new PackWriter(this.repo.keys.encryption, this.buffers.take(need));
        this.writers.set(kind, writer);
      }
      if (writer.fits(compressed.data.length)) break;
      this.writers.delete(kind);
      await this.store(writer); // another save may start a new writer meanwhile: look again
    }
    this.stats.storedBytes += writer.add({ id, type, compression: compressed.algo, rawLength: data.length }, compressed.data);
    if (writer.size >= this.repo.config.packSize) {
      this.writers.delete(kind);
      await this.store(writer);
    }
  }

  /** Starts storing a pack; resolves once an upload slot is taken (back-pressure). */
  private async store(writer: PackWriter): Promise<void> {
    await this.uploads.acquire();
    const pack = writer.finish();
    const upload = (async () => {
      try {
        await this.repo.backend.put(objectNames.pack(pack.id), pack.bytes, { tier: 'hot' });
        for (const entry of pack.entries) {
          this.repo.index.add(pack.id, entry);
          this.pending.delete(toHex(entry.id));
        }
        this.stats.packs++;
        this.unindexed.push({ pack: pack.id, size: pack.bytes.length, entries: pack.entries });
        this.options.onPackStored?.(pack);
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
