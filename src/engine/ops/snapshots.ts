// Snapshot operations: backing files and folders up into a new snapshot,
// listing snapshots and the files of one, and restoring one (or part of it)
// into a folder.

import { resolve } from 'node:path';
import { backup as backupPaths, type BackupOptions, type BackupResult } from '../snapshot/archiver';
import { restore, type RestoreProgress, type RestoreResult } from '../snapshot/restorer';
import { listSnapshots as listAll, loadTree, resolveSnapshot, type SnapshotEntry } from '../snapshot/snapshots';
import type { Snapshot, TreeNode } from '../snapshot/tree';
import type { Session } from './session';

/** The bytes and files under some paths, for a progress total (read alongside a backup, not before it). */
export { scanTotals } from '../snapshot/scan';

export type SnapshotBackupOptions = Omit<BackupOptions, 'paths'>;

/**
 * Backs `paths` up as a new snapshot through the session's repository, one at
 * a time with the session's other writers (its index then knows the new data,
 * which another Repository over the same store would leave it ignorant of).
 */
export function backup(s: Session, paths: string[], options: SnapshotBackupOptions = {}): Promise<BackupResult> {
  return s.exclusive(() => backupPaths(s.repo, { ...options, paths }));
}

/** All snapshots, oldest first. */
export function listSnapshots(s: Session): Promise<SnapshotEntry[]> {
  return listAll(s.repo);
}

/** One file, folder or link of a snapshot, by its path from the snapshot's root ('/course/intro.md'). */
export interface SnapshotFile {
  path: string;
  node: TreeNode;
}

/** Every file, folder and link of the snapshot `ref` ("latest" or an id prefix), each folder followed by what it holds. */
export async function listSnapshotFiles(s: Session, ref: string): Promise<SnapshotFile[]> {
  const repo = s.repo;
  await repo.ensureIndex();
  const { snapshot } = await resolveSnapshot(repo, ref);
  const entries: SnapshotFile[] = [];
  const walk = async (treeId: string, prefix: string): Promise<void> => {
    for (const node of (await loadTree(repo, treeId)).nodes) {
      const path = `${prefix}/${node.name}`;
      entries.push({ path, node });
      if (node.type === 'dir') await walk(node.subtree, path);
    }
  };
  await walk(snapshot.tree, '');
  return entries;
}

export interface SnapshotRestoreOptions {
  /** The folder to restore into (created if missing). */
  target: string;
  /** Snapshot-relative paths ('course/lesson.md'): only these (and what is under them) are restored. */
  include?: string[];
  /** `totalBytes`: the snapshot's, the most a restore writes. */
  onProgress?: (progress: RestoreProgress, totalBytes: number) => void;
  onWarning?: (path: string, message: string) => void;
}

export interface SnapshotRestore {
  /** The snapshot's full id. */
  id: string;
  snapshot: Snapshot;
  /** The target folder, absolute. */
  target: string;
  result: RestoreResult;
}

/** Restores the snapshot `ref` ("latest" or an id prefix), or the paths included of it, into `options.target`. */
export async function restoreSnapshot(s: Session, ref: string, options: SnapshotRestoreOptions): Promise<SnapshotRestore> {
  const { id, snapshot } = await resolveSnapshot(s.repo, ref);
  const { onProgress, ...rest } = options;
  const result = await restore(s.repo, snapshot, {
    ...rest,
    ...(onProgress ? { onProgress: (p: RestoreProgress) => onProgress(p, snapshot.stats.bytes) } : {}),
  });
  return { id, snapshot, target: resolve(options.target), result };
}
