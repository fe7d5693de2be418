// Reading and writing snapshot objects and the trees they name.

import { hostname } from 'node:os';
import { EngineError } from '../errors';
import { BlobType, fromHex, objectNames } from '../repo/format';
import type { Repository } from '../repo/repository';
import { decodeTree, validateSnapshot, type Snapshot, type Tree } from './tree';

export interface SnapshotEntry {
  id: string;
  snapshot: Snapshot;
}

export async function loadSnapshot(repo: Repository, id: string): Promise<Snapshot> {
  const name = objectNames.snapshot(id);
  return validateSnapshot(name, await repo.readJson('snapshot', name));
}

/** All snapshots, oldest first. */
export async function listSnapshots(repo: Repository): Promise<SnapshotEntry[]> {
  const result: SnapshotEntry[] = [];
  for (const id of await repo.snapshotIds()) result.push({ id, snapshot: await loadSnapshot(repo, id) });
  return result.sort((a, b) => a.snapshot.time.localeCompare(b.snapshot.time) || a.id.localeCompare(b.id));
}

/** Resolves "latest" or an id (prefix) to a full snapshot id. */
export async function resolveSnapshot(repo: Repository, ref: string): Promise<SnapshotEntry> {
  if (ref === 'latest') {
    const all = await listSnapshots(repo);
    const last = all.at(-1);
    if (!last) throw new EngineError('NOT_FOUND', 'the repository has no snapshots yet');
    return last;
  }
  const id = await repo.resolveSnapshotId(ref);
  return { id, snapshot: await loadSnapshot(repo, id) };
}

/** The newest snapshot of the same paths from this host: the parent of an incremental backup. */
export async function findParent(repo: Repository, paths: string[], host = hostname()): Promise<SnapshotEntry | undefined> {
  const key = JSON.stringify([...paths].sort());
  const candidates = (await listSnapshots(repo)).filter(
    (s) => s.snapshot.host === host && JSON.stringify([...s.snapshot.paths].sort()) === key,
  );
  return candidates.at(-1);
}

export async function loadTree(repo: Repository, id: string): Promise<Tree> {
  const bytes = await repo.loadBlob(fromHex(id), BlobType.tree);
  return decodeTree(`tree ${id}`, bytes);
}
