// Packs: many sealed blobs in one object, followed by a sealed trailer that
// lists them, so the index can always be rebuilt from packs alone.
//
//   Pack    := Blob* SealedTrailer TrailerLength(u32 LE)
//   Blob    := nonce(24) ciphertext tag(16)     AD = blobAd(type, id)
//   Trailer := "SPK1" count(u32 LE) Entry(48)*  sealed, AD = PACK_TRAILER_AD
// A pack's name is the SHA-256 of all its bytes, so any change renames it.

import { createHash, type Hash } from 'node:crypto';
import { open, seal, SEAL_OVERHEAD } from '../crypto/aead';
import { DamagedObjectError } from '../errors';
import { ENTRY_BYTES, PACK_TRAILER_AD, readEntry, toHex, writeEntry, type BlobEntry } from './format';

const TRAILER_MAGIC = 0x314b5053; // "SPK1" little-endian

export interface FinishedPack {
  id: string;
  bytes: Uint8Array;
  entries: BlobEntry[];
}

/** Accumulates sealed blobs until the pack is big enough to store. */
export class PackWriter {
  private readonly parts: Uint8Array[] = [];
  private readonly entries: BlobEntry[] = [];
  private readonly hash: Hash = createHash('sha256');
  private offset = 0;

  constructor(private readonly key: Uint8Array) {}

  get size(): number {
    return this.offset;
  }

  get count(): number {
    return this.entries.length;
  }

  /** Adds an already sealed blob (see sealBlob). */
  add(entry: Omit<BlobEntry, 'offset' | 'length'>, sealed: Uint8Array): void {
    this.entries.push({ ...entry, offset: this.offset, length: sealed.length });
    this.parts.push(sealed);
    this.hash.update(sealed);
    this.offset += sealed.length;
  }

  finish(): FinishedPack {
    const plain = new Uint8Array(8 + this.entries.length * ENTRY_BYTES);
    const view = new DataView(plain.buffer);
    view.setUint32(0, TRAILER_MAGIC, true);
    view.setUint32(4, this.entries.length, true);
    this.entries.forEach((entry, i) => writeEntry(view, plain, 8 + i * ENTRY_BYTES, entry));
    const trailer = seal(this.key, plain, PACK_TRAILER_AD);
    const tail = new Uint8Array(4);
    new DataView(tail.buffer).setUint32(0, trailer.length, true);
    this.parts.push(trailer, tail);
    this.hash.update(trailer).update(tail);
    const bytes = Buffer.concat(this.parts);
    const id = this.hash.digest('hex');
    return { id, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), entries: this.entries };
  }
}

/** Parses a pack's trailer. `tail` is the end of the pack (or all of it). */
export function parseTrailer(key: Uint8Array, name: string, packSize: number, readTail: Uint8Array): BlobEntry[] {
  if (readTail.length < 4) throw new DamagedObjectError(name, 'pack too short for a trailer');
  const trailerLength = new DataView(readTail.buffer, readTail.byteOffset + readTail.length - 4, 4).getUint32(0, true);
  if (trailerLength < SEAL_OVERHEAD + 8 || trailerLength + 4 > packSize) {
    throw new DamagedObjectError(name, 'trailer length out of range (truncated pack?)');
  }
  if (trailerLength + 4 > readTail.length) throw new RangeError('tail too short: need more bytes');
  const sealed = readTail.subarray(readTail.length - 4 - trailerLength, readTail.length - 4);
  let plain: Uint8Array;
  try {
    plain = open(key, sealed, PACK_TRAILER_AD);
  } catch (error) {
    throw new DamagedObjectError(name, 'pack trailer fails authentication', { cause: error });
  }
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  if (plain.length < 8 || view.getUint32(0, true) !== TRAILER_MAGIC) throw new DamagedObjectError(name, 'bad trailer magic');
  const count = view.getUint32(4, true);
  if (plain.length !== 8 + count * ENTRY_BYTES) throw new DamagedObjectError(name, 'trailer size does not match its count');
  const dataEnd = packSize - 4 - trailerLength;
  const entries: BlobEntry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = readEntry(view, plain, 8 + i * ENTRY_BYTES);
    if (entry.offset + entry.length > dataEnd || entry.length < SEAL_OVERHEAD) {
      throw new DamagedObjectError(name, `trailer entry ${toHex(entry.id)} points outside the pack`);
    }
    entries.push(entry);
  }
  return entries;
}

/** How many bytes from the end of a pack usually hold the whole trailer. */
export const TRAILER_READ_GUESS = 64 * 1024;
