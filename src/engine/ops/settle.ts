// Settling what other devices did, after a sync brought their version
// batches: local changes are recorded first (so nothing is lost), then other
// devices' versions are put in place, concurrent text edits merged and
// conflicts reported (versions/merge.ts). Also the open conflicts, and the
// checks a sync makes without the passphrase: whether settling is needed, and
// readying a machine whose state predates settling.

import { objectNames } from '../repo/format';
import { localPath } from '../repo/location';
import { listNames } from '../repo/repository';
import type { Backend } from '../storage/backend';
import { LocalState } from '../versions/local-state';
import { findConflicts, lastSeqsOf, needsReconcile, reconcileFolders, type Conflict, type ReconcileResult } from '../versions/merge';
import { DEFAULT_SETTLE_MS, type ScanOptions } from '../versions/scanner';
import { authorOf } from './author';
import { scan } from './folders';
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
  const folders = state.folders.list().filter((f) => f.tracked);
  if (folders.length === 0) {
    await state.settled.setApplied(history.lastSeqs(), state.settled.view().holding ?? {});
    return { versions: [], written: [], removed: [], conflicts: [], waiting: [], kept: [], caughtUp: [] };
  }
  await scan(s, folders.map((f) => f.name), { settleMs: options.settleMs ?? DEFAULT_SETTLE_MS, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
  return reconcileFolders(s.repo, state, history, { folders, author: authorOf(state) });
}

/** Open conflicts in the tracked folders: versions of a file with different content that do not merge (the user chooses one by recording a version). */
export async function conflicts(s: Session): Promise<Conflict[]> {
  const { state, history } = await s.versions();
  return findConflicts(history, state.folders.list().filter((f) => f.tracked));
}

/**
 * Whether the tracked folders of the local repository at `location` need
 * settling: batches of other devices in `store` (its objects) they do not
 * reflect yet, or files waiting to be put in place. Told by names, so no
 * passphrase is needed.
 */
export async function settlingNeeded(location: string, store: Backend): Promise<boolean> {
  return needsReconcile(await LocalState.load(localPath(location)), await listNames(store, objectNames.versionsPrefix));
}

/**
 * Before a sync into the local repository at `location` (`store`: its
 * objects): a machine whose state predates settling counts the batches it has
 * as in place (as it did), so that those the sync brings are the ones settled.
 */
export async function prepareSettling(location: string, store: Backend): Promise<void> {
  const state = await LocalState.load(localPath(location));
  if (state.settled.view().applied || !state.folders.list().some((f) => f.tracked)) return;
  await state.settled.setApplied(lastSeqsOf(await listNames(store, objectNames.versionsPrefix)), {});
}
