// Keyed content ids: HMAC-SHA256 of a chunk's plaintext under the repository's
// content-id key, and their hex form. Keyed so that whoever holds only the
// stored objects (the remote) cannot confirm a guess of a known file's chunks.
// The main thread and the blob workers (workers/blob-worker.ts: ids of new
// chunks, and the check on restore) both compute them here.

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

export const CONTENT_ID_LENGTH = 32;

export class ContentIdHasher {
  // A KeyObject keeps an internal copy: later changes to the caller's array do not leak in.
  private readonly key: KeyObject;

  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length === 0) {
      throw new TypeError('content-id key must be a non-empty Uint8Array');
    }
    this.key = createSecretKey(key);
  }

  /** 32-byte HMAC-SHA256(key, data). */
  id(data: Uint8Array): Uint8Array {
    const digest = createHmac('sha256', this.key).update(data).digest();
    return new Uint8Array(digest); // own memory, not a view into Node's buffer pool
  }

  /**
   * HMAC-SHA256(key, domain || data): ids of a different kind of blob (trees,
   * chunk lists), so a file whose bytes equal a directory listing can never
   * share its id. `domain` must not be empty.
   */
  idInDomain(domain: Uint8Array, data: Uint8Array): Uint8Array {
    if (domain.length === 0) throw new RangeError('domain must not be empty');
    return new Uint8Array(createHmac('sha256', this.key).update(domain).update(data).digest());
  }

  /** id() for `domain` null (data blobs), else idInDomain(): what repo/format.ts's contentIdDomain() gives for a blob type. */
  idFor(domain: Uint8Array | null, data: Uint8Array): Uint8Array {
    return domain === null ? this.id(data) : this.idInDomain(domain, data);
  }
}

/** Lowercase hex of a 32-byte id. */
export function idToHex(id: Uint8Array): string {
  if (!(id instanceof Uint8Array) || id.length !== CONTENT_ID_LENGTH) {
    throw new RangeError(`content id must be ${CONTENT_ID_LENGTH} bytes`);
  }
  return Buffer.from(id.buffer, id.byteOffset, id.length).toString('hex');
}

const ID_HEX = /^[0-9a-f]{64}$/;

/** Parses exactly 64 lowercase hex characters into a 32-byte id. */
export function idFromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !ID_HEX.test(hex)) {
    throw new RangeError(`content id must be 64 lowercase hex characters, got ${JSON.stringify(String(hex).slice(0, 80))}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
