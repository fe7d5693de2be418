// Reading a version's content back, and telling text from binary: text is
// decided by content (valid UTF-8 without NUL bytes), not by the file's name.

import { DamagedObjectError } from '../errors';
import type { Repository } from '../repo/repository';
import { BlobType } from '../repo/format';
import { fileChunks } from '../files/content-list';
import type { FileHistory } from './history';
import type { VersionRecord } from './records';
import { textBytes, versionText } from './text-history';
import { sha256Hex } from '../crypto/sha256';

/** Larger files are summarised and compared as binary data. */
export const TEXT_LIMIT = 8 * 1024 * 1024;

// ignoreBOM: a byte-order mark stays in the text, so the bytes round-trip exactly.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes` if they are text (valid UTF-8, no NUL, not too large), else undefined. */
export function asText(bytes: Uint8Array): string | undefined {
  if (bytes.length > TEXT_LIMIT || bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A binary version's chunk ids (none for text versions). */
export async function versionChunks(repo: Repository, record: VersionRecord): Promise<Uint8Array[]> {
  if (record.yjs) return [];
  await repo.ensureIndex();
  return fileChunks(repo, record);
}

/**
 * A version's content: text versions rebuilt from their Yjs history and
 * checked against the recorded SHA-256; binary ones chunk by chunk (large
 * media are never held whole).
 */
export async function* versionContent(repo: Repository, file: FileHistory, record: VersionRecord): AsyncGenerator<Uint8Array> {
  if (record.yjs) {
    const bytes = textBytes(await versionText(repo, file, record));
    const sha = sha256Hex(bytes);
    if (sha !== record.sha256 || bytes.length !== record.size) {
      throw new DamagedObjectError(`${record.path}@${record.n}`, 'rebuilt text does not match its recorded checksum');
    }
    yield bytes;
    return;
  }
  for (const id of await versionChunks(repo, record)) yield await repo.loadBlob(id, BlobType.data);
}

/** A version's whole content, for files up to `limit` bytes (text diffs); undefined above it. */
export async function versionBytes(repo: Repository, file: FileHistory, record: VersionRecord, limit = TEXT_LIMIT): Promise<Uint8Array | undefined> {
  if (record.size > limit || record.op === 'delete') return undefined;
  const out = new Uint8Array(record.size);
  let at = 0;
  for await (const piece of versionContent(repo, file, record)) {
    if (at + piece.length > out.length) return undefined; // damaged or inconsistent: not text we can trust
    out.set(piece, at);
    at += piece.length;
  }
  return at === out.length ? out : undefined;
}
