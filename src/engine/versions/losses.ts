// Recording version batches lost for good (`strata repair versions`). A
// batch that is damaged or missing blocks every write of history
// (history.ts), which is right while a remote may still hold it. When none
// does, recording the loss is the way past it: a batch of this device whose
// `lost` names each such batch with its reason (format.md 4.10, "Lost
// batches"). Every device that reads that batch accepts the loss, and still
// names it. Nothing is deleted: a damaged batch stays where it is, the
// evidence, unless the caller asks to move it aside (its bytes are kept in a
// folder outside the repository, so a good copy can come back by a sync).

import { basename, join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { EngineError } from '../errors';
import { writeFileExclusive } from '../fs/atomic-file';
import { guardMoveAsideTarget, repositoryDirectory } from '../fs/repository-guard';
import type { Repository } from '../repo/repository';
import type { History, OwnWrites } from './history';
import type { LocalState } from './local-state';
import { MAX_LOST, type LostBatch } from './records';
import { writeBatchRecords } from './scanner';

export interface RecordedLosses {
  /** The batch that records the losses; undefined when the history lacked nothing. */
  batch: string | undefined;
  /** What it records. */
  lost: LostBatch[];
  /** Damaged batches moved out of the repository (with moveAsideTo), and where their bytes are now. */
  movedAside: Array<{ batch: string; to: string }>;
}

export interface RecordLossesOptions {
  /** A folder outside the repository: damaged batches recorded as lost (now or before) are moved there. */
  moveAsideTo?: string;
}

/** What recording would record now: every batch the history lacks, as a `lost` entry. */
export function lossesToRecord(history: History, own: OwnWrites): LostBatch[] {
  return history.problems(own).map((p) => ({ batch: p.object, reason: p.kind, detail: p.message.slice(0, 1024) }));
}

/** Records every batch the history lacks as lost, in one new batch of this device; then moves damaged ones aside if asked. */
export async function recordLosses(repo: Repository, state: LocalState, history: History, options: RecordLossesOptions = {}): Promise<RecordedLosses> {
  const lost = lossesToRecord(history, state.batches);
  if (lost.length > MAX_LOST) throw new EngineError('DAMAGED', `${lost.length} version batches are lost, more than one record may name (${MAX_LOST})`);
  // Checked before anything is written: a refused folder leaves the history as it was.
  if (options.moveAsideTo !== undefined) await guardMoveAsideTarget(options.moveAsideTo, repositoryDirectory(repo));
  const batch = lost.length > 0 ? (await writeBatchRecords(repo, state, history, [], lost)).name : undefined;
  const movedAside = options.moveAsideTo !== undefined ? await moveAside(repo, history, resolve(options.moveAsideTo)) : [];
  return { batch, lost, movedAside };
}

/**
 * Moves damaged batches recorded as lost out of the repository: their bytes
 * (as stored, sealed) into `folder`, named as in the repository, then the
 * object is deleted. Copied first, so an interruption leaves both.
 */
async function moveAside(repo: Repository, history: History, folder: string): Promise<Array<{ batch: string; to: string }>> {
  const lost = new Set(history.losses().map((l) => l.batch));
  const moved: Array<{ batch: string; to: string }> = [];
  for (const { name } of history.damaged) {
    if (!lost.has(name)) continue;
    const bytes = await repo.backend.get(name);
    const to = join(folder, basename(name));
    if (!(await writeFileExclusive(to, bytes)) && !(await readFile(to)).equals(bytes)) {
      throw new EngineError('INVALID_ARGUMENT', `cannot move ${name} aside: ${to} exists and holds something else; choose another folder`);
    }
    await repo.backend.delete(name);
    moved.push({ batch: name, to });
  }
  await history.refresh(repo); // the moved batches are missing now (and accepted as lost)
  return moved;
}
