// `stats`: what the repository holds and what deduplication and compression
// save. Logical bytes count every file of every snapshot (what could be
// restored); unique bytes count each distinct chunk once; stored bytes are
// what the objects take in the backend.

import { fileChunks } from '../files/content-list';
import { listSnapshots, loadTree } from '../snapshot/snapshots';
import { BlobType, toHex } from '../repo/format';
import type { Repository } from '../repo/repository';

export interface RepoStats {
  snapshots: number;
  files: number;
  /** Sum of file sizes over all snapshots. */
  logicalBytes: number;
  /** Plaintext bytes of the distinct data chunks the snapshots reference. */
  uniqueBytes: number;
  /** Stored (compressed, sealed) bytes of those chunks. */
  uniqueStoredBytes: number;
  /** Bytes of every object in the repository (packs, indexes, snapshots, keys). */
  storedBytes: number;
  chunks: number;
  /** 1 - unique/logical. */
  dedupSavings: number;
  /** 1 - uniqueStored/unique. */
  compressionSavings: number;
  /** Bytes of the in-memory index per indexed blob. */
  indexBytesPerBlob: number;
}

export async function repoStats(repo: Repository): Promise<RepoStats> {
  await repo.ensureIndex();
  const snapshots = await listSnapshots(repo);
  const chunks = new Set<string>();
  const trees = new Map<string, { files: number; bytes: number }>();
  let files = 0;
  let logicalBytes = 0;
  const walk = async (treeId: string): Promise<{ files: number; bytes: number }> => {
    const known = trees.get(treeId);
    if (known) return known;
    const total = { files: 0, bytes: 0 };
    for (const node of (await loadTree(repo, treeId)).nodes) {
      if (node.type === 'dir') {
        const sub = await walk(node.subtree);
        total.files += sub.files;
        total.bytes += sub.bytes;
      } else if (node.type === 'file') {
        total.files++;
        total.bytes += node.size;
        for (const id of await fileChunks(repo, node)) chunks.add(toHex(id));
      }
    }
    trees.set(treeId, total);
    return total;
  };
  for (const { snapshot } of snapshots) {
    const total = await walk(snapshot.tree);
    files += total.files;
    logicalBytes += total.bytes;
  }
  let uniqueBytes = 0;
  let uniqueStoredBytes = 0;
  for (const entry of repo.index.entries()) {
    if (entry.type === BlobType.data && chunks.has(toHex(entry.id))) {
      uniqueBytes += entry.rawLength;
      uniqueStoredBytes += entry.length;
    }
  }
  let storedBytes = 0;
  for await (const info of repo.backend.list('')) storedBytes += info.size;
  return {
    snapshots: snapshots.length,
    files,
    logicalBytes,
    uniqueBytes,
    uniqueStoredBytes,
    storedBytes,
    chunks: chunks.size,
    dedupSavings: logicalBytes > 0 ? 1 - uniqueBytes / logicalBytes : 0,
    compressionSavings: uniqueBytes > 0 ? 1 - uniqueStoredBytes / uniqueBytes : 0,
    indexBytesPerBlob: repo.index.size > 0 ? repo.index.byteSize / repo.index.size : 0,
  };
}
