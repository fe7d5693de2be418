// Packs: many sealed blobs in one object, followed by a sealed trailer that
// lists them, so the index can always be rebuilt from packs alone.
//
//   Pack    := Blob* SealedTrailer TrailerLength(u32 LE)
//   Blob    := nonce(24) ciphertext tag(16)     AD = blobAd(type, id)
//   Trailer := "SPK1" count(u32 LE) Entry(48)*  sealed, AD = PACK_TRAILER_AD
// A pack's name is the SHA-256 of all its bytes, so any change renames it.

import { open, sealInto, SEAL_OVERHEAD } from '../crypto/aead';
import { DamagedObjectError } from '../errors';
import { createHash } from 'node:crypto';
import { ENTRY_BYTES, PACK_TRAILER_AD, readEntry, toHex, writeEntry, type BlobEntry } from './format';

const TRAILER_MAGIC = 0x314b5053; // "SPK1" little-endian

export interface FinishedPack {
  id: string;
  /** The pack's bytes: a view of the writer's buffer, valid until the buffer is reused. */
  bytes: Uint8Array;
  /** The buffer the pack was built in, to hand back to the pool once stored. */
  buffer: Uint8Array;
  entries: BlobEntry[];
}

/** Bytes a pack needs beyond its blobs for a trailer of `count` entries. */
export function trailerBytes(count: number): number {
  return 8 + count * ENTRY_BYTES + SEAL_OVERHEAD + 4;
}

/**
 * Builds one pack in a caller-supplied buffer, sealing blobs straight into it
 * (no per-blob allocations). finish() names it by SHA-256.
 */
export class PackWriter {
  private readonly entries: BlobEntry[] = [];
  private offset = 0;

  constructor(private readonly key: Uint8Array, private readonly buffer: Uint8Array) {}

  get size(): number {
    return this.offset;
  }

  get count(): number {
    return this.entries.length;
  }

  /** Whether `count` more sealed blobs of `sealedBytes` in all still fit, trailer included. */
  room(sealedBytes: number, count: number): boolean {
    return this.offset + sealedBytes + trailerBytes(this.entries.length + count) <= this.buffer.length;
  }

  /** Where the next blob goes: the rest of the buffer (sealed blobs are written there, then added with addPlaced). */
  tail(): Uint8Array {
    return this.buffer.subarray(this.offset);
  }

  /** Records the sealed blob (nonce || ciphertext || tag) of `length` bytes already written at the next offset (see tail()). */
  addPlaced(entry: Omit<BlobEntry, 'offset' | 'length'>, length: number): number {
    if (!Number.isSafeInteger(length) || length < SEAL_OVERHEAD) throw new RangeError('malformed sealed blob');
    if (!this.room(length, 1)) throw new RangeError('blob does not fit in this pack');
    this.entries.push({ ...entry, offset: this.offset, length });
    this.offset += length;
    return length;
  }

  async finish(): Promise<FinishedPack> {
    const plain = new Uint8Array(8 + this.entries.length * ENTRY_BYTES);
    const view = new DataView(plain.buffer);
    view.setUint32(0, TRAILER_MAGIC, true);
    view.setUint32(4, this.entries.length, true);
    this.entries.forEach((entry, i) => writeEntry(view, plain, 8 + i * ENTRY_BYTES, entry));
    const trailerLength = sealInto(this.key, plain, PACK_TRAILER_AD, this.buffer, this.offset);
    this.offset += trailerLength;
    new DataView(this.buffer.buffer, this.buffer.byteOffset + this.offset, 4).setUint32(0, trailerLength, true);
    this.offset += 4;
    const bytes = this.buffer.subarray(0, this.offset);
    // On this thread: in a backup the blob workers are the busier side.
    const digest = createHash('sha256').update(bytes).digest();
    return { id: toHex(digest), bytes, buffer: this.buffer, entries: this.entries };
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
