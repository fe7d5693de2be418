// The in-memory index: blob id -> (pack, offset, length, ...), kept compact in
// typed arrays (an open-addressing hash table keyed by the id's first bytes,
// which are uniformly distributed because ids are keyed hashes). A Map of
// objects would cost several hundred bytes per blob; this costs about 60-100.

import { ID_BYTES, type BlobEntry } from './format';

export interface IndexedBlob extends BlobEntry {
  pack: string;
}

const EMPTY = 0xffffffff;

export class ChunkIndex {
  private capacity = 0;
  private count = 0;
  /** slot -> record number, EMPTY when free. */
  private slots = new Uint32Array(0);
  private ids = new Uint8Array(0);
  private packNo = new Uint32Array(0);
  private offsets = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  private rawLengths = new Uint32Array(0);
  private kinds = new Uint8Array(0); // type << 4 | compression
  private readonly packs: string[] = [];
  private readonly packNumbers = new Map<string, number>();
  private readonly packSizes = new Map<string, number>();
  private recordCapacity = 0;

  constructor(expected = 1024) {
    this.grow(Math.max(16, expected));
  }

  get size(): number {
    return this.count;
  }

  /** Approximate heap bytes used by the table (for the bytes-per-blob figure). */
  get byteSize(): number {
    return this.slots.byteLength + this.ids.byteLength + this.packNo.byteLength + this.offsets.byteLength +
      this.lengths.byteLength + this.rawLengths.byteLength + this.kinds.byteLength;
  }

  setPackSize(pack: string, size: number): void {
    this.packSizes.set(pack, size);
  }

  /** The size recorded for a pack by the index object that named it. */
  packSize(pack: string): number | undefined {
    return this.packSizes.get(pack);
  }

  /** Every pack an index object named, including packs whose blobs were all duplicates. */
  packsWithSize(): string[] {
    return [...this.packSizes.keys()];
  }

  /** Pack ids referenced by the index. */
  packIds(): string[] {
    return [...this.packs];
  }

  has(id: Uint8Array): boolean {
    return this.find(id) !== EMPTY;
  }

  get(id: Uint8Array): IndexedBlob | undefined {
    const record = this.find(id);
    if (record === EMPTY) return undefined;
    return this.record(record);
  }

  /** Adds an entry; a blob already indexed (e.g. stored twice by concurrent backups) keeps its first location. */
  add(pack: string, entry: BlobEntry): boolean {
    if (entry.id.length !== ID_BYTES) throw new RangeError('blob id must be 32 bytes');
    if (this.find(entry.id) !== EMPTY) return false;
    if ((this.count + 1) * 4 > this.capacity * 3) this.rehash(this.capacity * 2);
    if (this.count === this.recordCapacity) this.growRecords(Math.ceil(this.recordCapacity * 1.5));
    let packNo = this.packNumbers.get(pack);
    if (packNo === undefined) {
      packNo = this.packs.length;
      this.packs.push(pack);
      this.packNumbers.set(pack, packNo);
    }
    const record = this.count++;
    this.ids.set(entry.id, record * ID_BYTES);
    this.packNo[record] = packNo;
    this.offsets[record] = entry.offset;
    this.lengths[record] = entry.length;
    this.rawLengths[record] = entry.rawLength;
    this.kinds[record] = (entry.type << 4) | entry.compression;
    this.insertSlot(record);
    return true;
  }

  *entries(): Generator<IndexedBlob> {
    for (let record = 0; record < this.count; record++) yield this.record(record);
  }

  private record(record: number): IndexedBlob {
    const kind = this.kinds[record] ?? 0;
    const at = record * ID_BYTES;
    return {
      id: this.ids.slice(at, at + ID_BYTES),
      pack: this.packs[this.packNo[record] ?? 0] ?? '',
      type: kind >> 4,
      compression: kind & 0x0f,
      offset: this.offsets[record] ?? 0,
      length: this.lengths[record] ?? 0,
      rawLength: this.rawLengths[record] ?? 0,
    };
  }

  private hashOf(id: Uint8Array, at = 0): number {
    return ((id[at] ?? 0) | ((id[at + 1] ?? 0) << 8) | ((id[at + 2] ?? 0) << 16) | ((id[at + 3] ?? 0) << 24)) >>> 0;
  }

  private find(id: Uint8Array): number {
    const mask = this.capacity - 1;
    let slot = this.hashOf(id) & mask;
    for (;;) {
      const record = this.slots[slot] ?? EMPTY;
      if (record === EMPTY) return EMPTY;
      if (this.idEquals(record, id)) return record;
      slot = (slot + 1) & mask;
    }
  }

  private idEquals(record: number, id: Uint8Array): boolean {
    const at = record * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (this.ids[at + i] !== id[i]) return false;
    return true;
  }

  private insertSlot(record: number): void {
    const mask = this.capacity - 1;
    let slot = this.hashOf(this.ids, record * ID_BYTES) & mask;
    while ((this.slots[slot] ?? EMPTY) !== EMPTY) slot = (slot + 1) & mask;
    this.slots[slot] = record;
  }

  private grow(minimum: number): void {
    this.rehash(minimum);
    this.growRecords(Math.ceil((this.capacity * 3) / 4));
  }

  /** Record arrays grow by half, independently of the slot table, to stay dense. */
  private growRecords(records: number): void {
    const resize = <T extends Uint8Array | Uint32Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(records * per);
      next.set(old.subarray(0, Math.min(old.length, next.length)));
      return next;
    };
    this.ids = resize(this.ids, (n) => new Uint8Array(n), ID_BYTES);
    this.packNo = resize(this.packNo, (n) => new Uint32Array(n), 1);
    this.offsets = resize(this.offsets, (n) => new Uint32Array(n), 1);
    this.lengths = resize(this.lengths, (n) => new Uint32Array(n), 1);
    this.rawLengths = resize(this.rawLengths, (n) => new Uint32Array(n), 1);
    this.kinds = resize(this.kinds, (n) => new Uint8Array(n), 1);
    this.recordCapacity = records;
  }

  /** Slots: a power of two, at most 3/4 full. */
  private rehash(minimum: number): void {
    let capacity = 16;
    while (capacity < minimum) capacity *= 2;
    this.capacity = capacity;
    this.slots = new Uint32Array(capacity).fill(EMPTY);
    for (let record = 0; record < this.count; record++) this.insertSlot(record);
  }
}
