// A stored file's content reference, shared by snapshots and versions: its
// chunk ids inline (up to INLINE_CONTENT_LIMIT) or in one list blob of
// 32-byte ids (docs/format.md), and reading either back.

import { DamagedObjectError } from '../errors';
import { BlobType, fromHex } from '../repo/format';
import type { Repository } from '../repo/repository';

/** Chunk ids stored inline in a tree node or version record; more go into a list blob. */
export const INLINE_CONTENT_LIMIT = 64;

/** Where a file's chunk ids are: inline (hex), or the id of their list blob. */
export interface ContentRefFields {
  content?: string[];
  contentList?: string;
}

/** A file's chunk ids, reading its list blob when it has one. */
export async function fileChunks(repo: Repository, node: ContentRefFields): Promise<Uint8Array[]> {
  if (node.content) return node.content.map(fromHex);
  if (!node.contentList) return [];
  const bytes = await repo.loadBlob(fromHex(node.contentList), BlobType.list);
  if (bytes.length % 32 !== 0) throw new DamagedObjectError(`list ${node.contentList}`, 'content list has a partial id');
  const ids: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 32) ids.push(bytes.slice(at, at + 32));
  return ids;
}

/** The list blob's bytes for `ids`. */
export function encodeContentList(ids: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(ids.length * 32);
  ids.forEach((id, i) => bytes.set(id, i * 32));
  return bytes;
}
