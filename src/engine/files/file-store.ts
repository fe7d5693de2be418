// Storing one file's content: reads it in pooled blocks, cuts chunks, sends
// them to the blob store in batches (a couple in flight, so reading overlaps
// hashing and sealing), and returns the chunk ids, the size read and the
// SHA-256 of the content. Backups and version scans both store files here.

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { BlobStore } from '../repo/blob-store';
import { BlobType, toHex } from '../repo/format';
import type { Repository } from '../repo/repository';
import { BlockPool, readFileChunks, type Block } from './file-chunks';
import { encodeContentList, INLINE_CONTENT_LIMIT } from './content-list';

/** A batch of chunks for the blob workers: up to this many chunks or bytes. */
const BATCH_CHUNKS = 32;
const BATCH_BYTES = 4 * 1024 * 1024;
/** Batches of one file in flight at once. */
const BATCHES_IN_FLIGHT = 2;
/** File data read at a time. */
const READ_SIZE = 4 * 1024 * 1024;

export interface StoredFile {
  size: number;
  ids: Uint8Array[];
  /** Hex SHA-256 of the content read. */
  sha256: string;
}

/** How a file's content is referenced: the chunk ids inline, or a list blob of them for large files. */
export type ContentRef = { content: string[] } | { contentList: string };

export class FileStore {
  private readonly blocks: BlockPool;

  constructor(private readonly repo: Repository, readonly store: BlobStore) {
    this.blocks = new BlockPool(repo.chunker.params.maxSize, READ_SIZE);
  }

  /**
   * Stores the content of an open file (`expected`: its size from stat; it
   * may have changed) into packs of `lane` (see BlobStore; backups use the
   * default lane).
   */
  async storeContent(handle: FileHandle, expected: number, onBytes?: (bytes: number) => void, lane?: string): Promise<StoredFile> {
    const ids: Uint8Array[] = [];
    const sha = createHash('sha256');
    let size = 0;
    // Each batch's blocks go back to the pool once its blobs are stored.
    const inFlight: Array<{ saving: Promise<Uint8Array[]>; blocks: Block[] }> = [];
    let batch: Uint8Array[] = [];
    let blocks: Block[] = [];
    let batchBytes = 0;
    const settle = async (): Promise<void> => {
      const oldest = inFlight.shift() as (typeof inFlight)[number];
      ids.push(...await oldest.saving);
      for (const block of oldest.blocks) block.release();
    };
    const send = async (): Promise<void> => {
      const saving = this.store.saveData(batch, lane);
      saving.catch(() => undefined);
      inFlight.push({ saving, blocks });
      batch = [];
      blocks = [];
      batchBytes = 0;
      if (inFlight.length >= BATCHES_IN_FLIGHT) await settle();
    };
    for await (const chunk of readFileChunks(handle, expected, this.repo.chunker, this.blocks)) {
      sha.update(chunk.data);
      batch.push(chunk.data);
      blocks.push(chunk.block);
      batchBytes += chunk.data.length;
      size += chunk.data.length;
      onBytes?.(chunk.data.length);
      if (batch.length >= BATCH_CHUNKS || batchBytes >= BATCH_BYTES) await send();
    }
    if (batch.length > 0) await send();
    while (inFlight.length > 0) await settle();
    return { size, ids, sha256: sha.digest('hex') };
  }

  /** The reference to store for chunk ids: inline up to INLINE_CONTENT_LIMIT, else a list blob. */
  async contentRef(ids: Uint8Array[]): Promise<ContentRef> {
    if (ids.length <= INLINE_CONTENT_LIMIT) return { content: ids.map(toHex) };
    const list = this.store.save(BlobType.list, encodeContentList(ids));
    await list.done;
    return { contentList: toHex(list.id) };
  }
}
