// Backing a folder up as a snapshot, as the contract reports it: through the
// session's repository (ops/snapshots.ts: one writer at a time, and its index
// then knows the new data), mapped to the contract's BackupResult.

import type { BackupResult } from '../../shared/api';
import { backup } from '../ops/snapshots';
import type { Session } from '../ops/session';

/** A snapshot of the folder at `path` in the session's repository. */
export async function backupFolder(session: Session, path: string): Promise<BackupResult> {
  const result = await backup(session, [path]);
  return { snapshot: result.id, files: result.snapshot.stats.files, bytes: result.snapshot.stats.bytes };
}
