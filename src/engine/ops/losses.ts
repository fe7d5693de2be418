// Version batches lost for good (`strata repair versions`): which batches the
// history lacks that could be recorded as lost, recording them (every device
// that syncs the record accepts the loss, and history is recorded again), and
// the losses recorded before, which are not problems but are still named.

import type { AcceptedLoss } from '../versions/history';
import { lossesToRecord, recordLosses, type RecordedLosses, type RecordLossesOptions } from '../versions/losses';
import type { LostBatch } from '../versions/records';
import type { Session } from './session';

export type { AcceptedLoss } from '../versions/history';
export type { LostBatch } from '../versions/records';

/** The batches the history lacks (damaged or missing) that are not recorded as lost yet. */
export async function lostBatches(s: Session): Promise<LostBatch[]> {
  const { state, history } = await s.versions();
  return lossesToRecord(history, state.batches);
}

/** Losses recorded before (by any device): accepted, still named. */
export async function acceptedLosses(s: Session): Promise<AcceptedLoss[]> {
  return (await s.versions()).history.losses();
}

/** Records the batches the history lacks as lost for good (and moves damaged ones aside, if asked). */
export async function recordLostBatches(s: Session, options: RecordLossesOptions = {}): Promise<RecordedLosses> {
  const { state, history } = await s.versions();
  return recordLosses(s.repo, state, history, options);
}
