// The repository's on-disk vocabulary: object names, blob types, associated
// data strings and binary layouts shared by writers and readers. Changing any
// value here changes the format (docs/format.md documents each).

import type { ContentIdHasher } from '../crypto/content-id';

export const FORMAT_VERSION = 1;

/** Kinds of blob stored inside packs. Codes are stored on disk. */
export const BlobType = { data: 0, tree: 1, list: 2 } as const;
export type BlobType = (typeof BlobType)[keyof typeof BlobType];

export function blobTypeName(type: number): 'data' | 'tree' | 'list' {
  if (type === BlobType.data) return 'data';
  if (type === BlobType.tree) return 'tree';
  if (type === BlobType.list) return 'list';
  throw new Error(`unknown blob type ${type}`);
}

export const ID_BYTES = 32;

const DOMAINS: Record<number, Uint8Array> = {
  1: new TextEncoder().encode('strata/v1 tree\n'),
  2: new TextEncoder().encode('strata/v1 list\n'),
};

/** The HMAC prefix of a blob type's content ids (null for data blobs). */
export function contentIdDomain(type: number): Uint8Array | null {
  if (type === BlobType.data) return null;
  const domain = DOMAINS[type];
  if (!domain) throw new Error(`unknown blob type ${type}`);
  return domain;
}

/**
 * A blob's content id. Data blobs: HMAC-SHA256(contentIdKey, plaintext).
 * Trees and lists: HMAC over a type prefix and the plaintext, so ids never
 * collide across types (a file containing a tree's JSON stays a file).
 */
export function contentId(hasher: Pick<ContentIdHasher, 'idFor'>, type: number, data: Uint8Array): Uint8Array {
  return hasher.idFor(contentIdDomain(type), data);
}
/** Bytes of one blob entry in a pack trailer or an index object. */
export const ENTRY_BYTES = 48;

export const objectNames = {
  config: 'config',
  keyPrefix: 'keys/',
  key: (id: string) => `keys/${id}`,
  packPrefix: 'data/',
  pack: (id: string) => `data/${id.slice(0, 2)}/${id}`,
  indexPrefix: 'index/',
  index: (id: string) => `index/${id}`,
  snapshotPrefix: 'snapshots/',
  snapshot: (id: string) => `snapshots/${id}`,
  /** Version batches: `versions/<device>-<seq>` (versions/records.ts). */
  versionsPrefix: 'versions/',
} as const;

/** The kinds of object that live under a prefix, each listed as a whole (listing.ts). */
export type ListedKind = 'key' | 'pack' | 'index' | 'snapshot' | 'versions';

/**
 * The name grammar of each listed kind: the one definition of what is an
 * object. Anything else found under these prefixes (a `.DS_Store`, a sync
 * tool's `.foo.tmp`, `desktop.ini`, `x~`) is a stray, never read as an object.
 */
export const OBJECT_NAMES: Readonly<Record<ListedKind, { prefix: string; pattern: RegExp }>> = {
  key: { prefix: objectNames.keyPrefix, pattern: /^keys\/[0-9a-f]{64}$/ },
  // The two-digit directory is the id's first two digits.
  pack: { prefix: objectNames.packPrefix, pattern: /^data\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/ },
  index: { prefix: objectNames.indexPrefix, pattern: /^index\/[0-9a-f]{64}$/ },
  snapshot: { prefix: objectNames.snapshotPrefix, pattern: /^snapshots\/[0-9a-f]{64}$/ },
  // `versions/<device: 16 hex>-<seq: 10 digits>`; records.ts reads the two groups.
  versions: { prefix: objectNames.versionsPrefix, pattern: /^versions\/([0-9a-f]{16})-(\d{10})$/ },
};

/** The listed kind whose prefix `prefix` is (`'snapshots/'` -> `'snapshot'`). */
export function kindOfPrefix(prefix: string): ListedKind {
  for (const [kind, { prefix: p }] of Object.entries(OBJECT_NAMES)) if (p === prefix) return kind as ListedKind;
  throw new RangeError(`no kind of object is listed under ${JSON.stringify(prefix)}`);
}

/** Whether `name` is an object name of `kind` (by OBJECT_NAMES). */
export function isObjectName(kind: ListedKind, name: string): boolean {
  return OBJECT_NAMES[kind].pattern.test(name);
}

/** Device and sequence number of a version batch's object name, or undefined if it is not one. */
export function parseBatchName(name: string): { device: string; seq: number } | undefined {
  const m = OBJECT_NAMES.versions.pattern.exec(name);
  return m ? { device: m[1] as string, seq: Number(m[2]) } : undefined;
}

/** The id at the end of an object name (`data/ab/ab12...` -> `ab12...`). */
export function idOfName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? name : name.slice(slash + 1);
}

const encoder = new TextEncoder();

/**
 * Associated data binding an encrypted object to its type and name, so the
 * remote cannot swap one object for another undetected.
 */
export function objectAd(type: 'config' | 'index' | 'snapshot' | 'versions', id: string): Uint8Array {
  return encoder.encode(`strata/v1 ${type} ${id}`);
}

/** Associated data of a blob: its type and id. */
export function blobAd(type: number, id: Uint8Array): Uint8Array {
  const prefix = encoder.encode('strata/v1 blob ');
  const ad = new Uint8Array(prefix.length + 1 + id.length);
  ad.set(prefix, 0);
  ad[prefix.length] = type;
  ad.set(id, prefix.length + 1);
  return ad;
}

export const PACK_TRAILER_AD = encoder.encode('strata/v1 pack-trailer');

/** One blob's location, as stored in pack trailers and index objects. */
export interface BlobEntry {
  id: Uint8Array;
  type: number;
  compression: number;
  /** Offset of the sealed blob inside its pack. */
  offset: number;
  /** Sealed length in the pack (nonce + ciphertext + tag). */
  length: number;
  /** Plaintext length before compression. */
  rawLength: number;
}

/**
 * Entry layout (48 bytes, little-endian):
 *   0  id          32 bytes
 *   32 type        u8
 *   33 compression u8
 *   34 reserved    u16 (zero)
 *   36 offset      u32
 *   40 length      u32
 *   44 rawLength   u32
 */
export function writeEntry(view: DataView, bytes: Uint8Array, at: number, entry: BlobEntry): void {
  bytes.set(entry.id, at);
  view.setUint8(at + 32, entry.type);
  view.setUint8(at + 33, entry.compression);
  view.setUint16(at + 34, 0, true);
  view.setUint32(at + 36, entry.offset, true);
  view.setUint32(at + 40, entry.length, true);
  view.setUint32(at + 44, entry.rawLength, true);
}

export function readEntry(view: DataView, bytes: Uint8Array, at: number): BlobEntry {
  return {
    id: bytes.slice(at, at + 32),
    type: view.getUint8(at + 32),
    compression: view.getUint8(at + 33),
    offset: view.getUint32(at + 36, true),
    length: view.getUint32(at + 40, true),
    rawLength: view.getUint32(at + 44, true),
  };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;
export function isHexId(value: string): boolean {
  return HEX64.test(value);
}

export function fromHex(hex: string): Uint8Array {
  if (!isHexId(hex)) throw new Error(`not a 64-digit hex id: ${JSON.stringify(hex)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
