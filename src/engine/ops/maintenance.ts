// Maintenance operations: checking the repository (its structure, and with
// readData every pack's bytes), what it holds and saves (stats), and
// rebuilding the index from the packs themselves (repair index).

import { errorMessage } from '../errors';
import { check as checkRepository, type CheckResult } from '../maintenance/check';
import { rebuildIndex, type RebuildResult } from '../maintenance/rebuild-index';
import { repoStats, type RepoStats } from '../maintenance/stats';
import type { Session } from './session';

export interface CheckOptions {
  /** Also read every pack and verify each blob (slow: reads all the data). */
  readData?: boolean;
  /** After each pack read with readData: packs done, total packs, the pack, its bytes. */
  onProgress?: (done: number, total: number, pack: string, bytes: number) => void;
  /**
   * Told, before checking starts, what the check cannot cover (this machine's
   * state unreadable): one line, not a problem, and not in the result.
   */
  onNote?: (note: string) => void;
}

/**
 * Verifies the repository; never stops at the first problem. This device's
 * own newest version batch, if lost, only this machine's state knows of (no
 * batch in the repository names it): when that state cannot be read, the rest
 * is still checked and `onNote` says what was not. The history and the state
 * are the session's, each read once (and neither needs the policy file).
 */
export async function check(s: Session, options: CheckOptions = {}): Promise<CheckResult> {
  const { onNote, ...rest } = options;
  const [history, own] = await Promise.all([
    s.history(),
    s.localState().then(
      (state) => state.batches,
      (error: unknown) => {
        onNote?.(`this machine's state cannot be read (${errorMessage(error)}): its own newest version batch is not checked`);
        return undefined;
      },
    ),
  ]);
  return checkRepository(s.repo, { ...rest, history, ...(own ? { own } : {}) });
}

/** Sizes: logical, unique and stored bytes; deduplication and compression savings. */
export function stats(s: Session): Promise<RepoStats> {
  return repoStats(s.repo);
}

/**
 * Rebuilds the index from the packs' own trailers (for lost or damaged index
 * objects), one at a time with the session's other writers.
 */
export function repairIndex(s: Session, onProgress?: (done: number, total: number) => void): Promise<RebuildResult> {
  return s.exclusive(() => rebuildIndex(s.repo, onProgress));
}
