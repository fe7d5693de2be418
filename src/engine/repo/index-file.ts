// Index objects (`index/<id>`): which blobs each pack holds. Written after the
// packs they describe and before any snapshot that needs them.
//
//   IndexPlain := "SIX1" packCount(u32 LE) Pack*
//   Pack       := packId(32) packSize(u64 LE) entryCount(u32 LE) Entry(48)*
// sealed with the object AD `strata/v1 index <id>`.

import { DamagedObjectError } from '../errors';
import { ENTRY_BYTES, fromHex, readEntry, toHex, writeEntry, type BlobEntry } from './format';

const MAGIC = 0x31584953; // "SIX1" little-endian

export interface PackEntries {
  pack: string;
  /** The pack's size in bytes, so check can spot truncation without reading it. */
  size: number;
  entries: BlobEntry[];
}

const PACK_HEADER = 44;

export function encodeIndex(packs: PackEntries[]): Uint8Array {
  let size = 8;
  for (const p of packs) size += PACK_HEADER + p.entries.length * ENTRY_BYTES;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, packs.length, true);
  let at = 8;
  for (const p of packs) {
    bytes.set(fromHex(p.pack), at);
    view.setBigUint64(at + 32, BigInt(p.size), true);
    view.setUint32(at + 40, p.entries.length, true);
    at += PACK_HEADER;
    for (const entry of p.entries) {
      writeEntry(view, bytes, at, entry);
      at += ENTRY_BYTES;
    }
  }
  return bytes;
}

export function decodeIndex(name: string, bytes: Uint8Array): PackEntries[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (reason: string): never => {
    throw new DamagedObjectError(name, reason);
  };
  if (bytes.length < 8 || view.getUint32(0, true) !== MAGIC) fail('bad index magic');
  const packCount = view.getUint32(4, true);
  const packs: PackEntries[] = [];
  let at = 8;
  for (let i = 0; i < packCount; i++) {
    if (at + PACK_HEADER > bytes.length) fail('index truncated');
    const pack = toHex(bytes.subarray(at, at + 32));
    const size = Number(view.getBigUint64(at + 32, true));
    const count = view.getUint32(at + 40, true);
    at += PACK_HEADER;
    if (at + count * ENTRY_BYTES > bytes.length) fail('index truncated');
    const entries: BlobEntry[] = [];
    for (let j = 0; j < count; j++) {
      entries.push(readEntry(view, bytes, at));
      at += ENTRY_BYTES;
    }
    packs.push({ pack, size, entries });
  }
  if (at !== bytes.length) fail('trailing bytes after index');
  return packs;
}
