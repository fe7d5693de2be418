// What a blob worker does with one message, as plain functions: the messages
// (shared with the pool in blob-workers.ts) and runJob(), which the worker
// entry (blob-worker.ts) calls for each. Every byte operation is the one the
// main thread uses: content ids from crypto/content-id.ts, compression and
// its keep rule from compress/compression.ts, the sealed-box layout and the
// ChaCha20-Poly1305 bulk step from crypto/aead.ts. Nothing here touches
// worker_threads, so tests can run a job on the main thread too.

import { createHash } from 'node:crypto';
import { Compression, compressForStorage, decompressStored } from '../compress/compression';
import { AuthenticationError, openInner, ownedBytes, SEAL_OVERHEAD, sealInnerInto, type InnerKey } from '../crypto/aead';
import { CONTENT_ID_LENGTH, ContentIdHasher } from '../crypto/content-id';

/** One blob to seal; the HChaCha20 step (subkey, innerNonce) was done on the main thread. */
export interface SealJob extends InnerKey {
  /** The blob's random 24-byte XChaCha20 nonce, written before the ciphertext. */
  nonce: Uint8Array;
  /** Brotli parameters (compressionParams()), or null to store the data raw. */
  params: Record<number, number> | null;
  /** Keep the compressed form only if at most this share of the input (default: compression.ts's MAX_KEPT_RATIO). */
  maxKeptRatio?: number;
  ad: Uint8Array;
}

export interface OpenItem extends InnerKey {
  /** Offset and sealed length of the blob inside the data sent. */
  start: number;
  length: number;
  ad: Uint8Array;
  compression: number;
  rawLength: number;
  /** Recompute the content id (under key, in domain: null for data blobs) and compare. */
  verify?: { key: Uint8Array; domain: Uint8Array | null; id: Uint8Array };
  /** Return the plaintext (restore) or only the verdict (check). */
  keep: boolean;
  /** Raw blobs: write the plaintext over the ciphertext in `data` (shared memory only). */
  inPlace?: boolean;
}

/** One blob's outcome: its plaintext (kept), or decrypted in place in the region, or why it failed. */
export interface Opened {
  bytes?: Uint8Array;
  inPlace?: boolean;
  error?: string;
}

export type Job = { id: number } & (
  | { op: 'hashBatch'; key: Uint8Array; items: Uint8Array[] }
  | { op: 'sealBatch'; items: Array<SealJob & { data: Uint8Array }>; out: Uint8Array }
  | { op: 'openBatch'; data: Uint8Array; items: OpenItem[]; sha256: boolean }
);

export interface Reply {
  id: number;
  /** hashBatch: the ids, 32 bytes each, one after another. */
  bytes?: Uint8Array;
  /** sealBatch: where each sealed blob went (one after another from offset 0 of `out`) and its compression code. */
  placed?: Array<{ length: number; algo: number }>;
  opened?: Opened[];
  /** openBatch with sha256: the SHA-256 of the whole region as sent (before any in-place decryption). */
  sha256?: Uint8Array;
  /** The whole job failed. */
  error?: string;
}

// Workers see the same key for batch after batch: one KeyObject for it.
let lastHasher: { key: Buffer; hasher: ContentIdHasher } | undefined;

function hasherFor(key: Uint8Array): ContentIdHasher {
  if (!lastHasher?.key.equals(key)) lastHasher = { key: Buffer.from(key), hasher: new ContentIdHasher(key) };
  return lastHasher.hasher;
}

function hashBatch(key: Uint8Array, items: Uint8Array[]): Uint8Array {
  const hasher = hasherFor(key);
  const ids = new Uint8Array(CONTENT_ID_LENGTH * items.length);
  items.forEach((data, i) => ids.set(hasher.id(data), CONTENT_ID_LENGTH * i));
  return ids;
}

/** Compresses (if it pays) and seals each blob into `out`, one after another from offset 0. */
function sealBatch(items: Array<SealJob & { data: Uint8Array }>, out: Uint8Array): Array<{ length: number; algo: number }> {
  let at = 0;
  return items.map((item) => {
    const { stored, compression } = compressForStorage(item.data, item.params, item.maxKeptRatio);
    const length = sealInnerInto(out, at, item.nonce, item, stored, item.ad);
    at += length;
    return { length, algo: compression };
  });
}

/**
 * Opens one blob of `data` (decrypt, decompress, optionally check its content
 * id); throws with a short reason on any failure. Raw blobs are decrypted in
 * place (over their ciphertext) when item.inPlace: returns null, the caller
 * reads them there, saving an allocation and a transfer.
 */
function openOne(data: Uint8Array, item: OpenItem): Uint8Array | null {
  const sealed = data.subarray(item.start, item.start + item.length);
  const inPlace = (item.inPlace ?? false) && item.compression === Compression.none;
  let plain: Uint8Array;
  try {
    plain = openInner(item, sealed, item.ad, inPlace);
  } catch (error) {
    if (error instanceof AuthenticationError) throw new Error(sealed.length < SEAL_OVERHEAD ? 'sealed blob too short' : 'fails authentication', { cause: error });
    throw error;
  }
  const out = decompressStored(plain, item.compression, item.rawLength);
  if (item.verify) {
    const id = hasherFor(item.verify.key).idFor(item.verify.domain, out);
    if (!Buffer.from(id.buffer, id.byteOffset, id.length).equals(item.verify.id)) throw new Error('has the wrong content id');
  }
  return inPlace ? null : out;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one job: the reply to post, and the buffers to transfer with it (the
 * worker's own, never memory of the main isolate: see blob-workers.ts).
 */
export function runJob(job: Job): { reply: Reply; transfer: ArrayBuffer[] } {
  try {
    switch (job.op) {
      case 'hashBatch': {
        const ids = hashBatch(job.key, job.items);
        return { reply: { id: job.id, bytes: ids }, transfer: [ids.buffer as ArrayBuffer] };
      }
      case 'sealBatch':
        // Into the caller's shared buffer: nothing to allocate, transfer or copy back.
        return { reply: { id: job.id, placed: sealBatch(job.items, job.out) }, transfer: [] };
      case 'openBatch': {
        const sha256 = job.sha256 ? ownedBytes(createHash('sha256').update(job.data).digest()) : undefined;
        const opened = job.items.map((item): Opened => {
          try {
            const out = openOne(job.data, item);
            if (out === null) return { inPlace: true };
            return item.keep ? { bytes: ownedBytes(out) } : {};
          } catch (error) {
            return { error: reason(error) };
          }
        });
        const transfer = opened.flatMap((r) => (r.bytes ? [r.bytes.buffer as ArrayBuffer] : []));
        return { reply: sha256 ? { id: job.id, opened, sha256 } : { id: job.id, opened }, transfer };
      }
      default:
        throw new Error(`unknown operation ${(job as { op: unknown }).op as string}`);
    }
  } catch (error) {
    return { reply: { id: job.id, error: reason(error) }, transfer: [] };
  }
}
