// Settling what other devices did, after a sync brought their version
// batches: local changes are recorded first (so nothing is lost), then other
// devices' versions are put in place, concurrent text edits merged and
// conflicts reported (versions/merge.ts). Also the open conflicts, and the
// checks a sync makes without the passphrase: whether settling is needed, and
// readying a machine whose state predates settling.

import { objectNames } from '../repo/format';
import { listNames } from '../repo/repository';
import type { Backend } from '../storage/backend';
import type { LocalState } from '../versions/local-state';
import { findConflicts, lastSeqsOf, needsReconcile, reconcileFolders, type Conflict, type ReconcileResult } from '../versions/merge';
import { DEFAULT_SETTLE_MS, type ScanOptions } from '../versions/scanner';
import { authorOf } from './author';
import { scan, trackedFolders } from './folders';
import type { Session } from './session';

export type { Conflict, ReconcileResult } from '../versions/merge';

export interface SettleOptions {
  /** Files changed less than this long ago are left for a later pass (ms; default the scanner's quiet time). */
  settleMs?: number;
  onWarning?: ScanOptions['onWarning'];
}

/**
 * Settles what other devices did, after a sync: reads the batches that
 * arrived, records local changes first, then puts other devices' versions in
 * place, merges concurrent text edits and reports conflicts. Folders adopted
 * from another device are settled too, in the files they have. Cheap when
 * nothing arrived. Callers that share the session run it through `s.exclusive`.
 */
export async function settle(s: Session, options: SettleOptions = {}): Promise<ReconcileResult> {
  const { state, history } = await s.versions();
  await history.refresh(s.repo);
  // Index objects that came with the batches (they name the blobs of other devices' versions); a damaged one is check's to report.
  await s.repo.loadIndex(() => undefined);
  const folders = await trackedFolders(s);
  if (folders.length === 0) {
    await state.settled.setApplied(history.lastSeqs(), state.settled.view().holding ?? {});
    return { versions: [], written: [], removed: [], conflicts: [], waiting: [], kept: [], caughtUp: [] };
  }
  await scan(s, folders.map((f) => f.name), { settleMs: options.settleMs ?? DEFAULT_SETTLE_MS, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
  return reconcileFolders(s.repo, state, history, { folders, author: authorOf(state) });
}

/** Open conflicts in the tracked folders: versions of a file with different content that do not merge (the user chooses one by recording a version). */
export async function conflicts(s: Session): Promise<Conflict[]> {
  return findConflicts((await s.versions()).history, await trackedFolders(s));
}

/**
 * Whether the tracked folders of a local repository (`state`: this machine's
 * state of it, as loaded; `store`: its objects) need settling: batches of
 * other devices they do not reflect yet, or files waiting to be put in place.
 * Told by names, so no passphrase is needed.
 */
export async function settlingNeeded(state: LocalState, store: Backend): Promise<boolean> {
  return needsReconcile(state, await listNames(store, objectNames.versionsPrefix));
}

/**
 * Before a sync into a local repository (`state`, `store`: as for
 * settlingNeeded): a machine whose state predates settling counts the batches
 * it has as in place (as it did), so that those the sync brings are the ones
 * settled.
 */
export async function prepareSettling(state: LocalState, store: Backend): Promise<void> {
  if (state.settled.view().applied || state.folders.tracked().length === 0) return;
  await state.settled.setApplied(lastSeqsOf(await listNames(store, objectNames.versionsPrefix)), {});
}
