// Freeing local space: packs the policy places cold (archived courses, old
// media versions) are deleted here once a remote is known to hold them (same
// name and size there; names are content hashes), and recorded as evicted so
// reads fetch them back (local-view.ts) and sync does not download them
// again. The record is written before the file is deleted, so a crash between
// the two leaves a pack both kept and marked, which reads and the next run
// handle. Prefetch is the reverse for one course: its current data comes back
// before it is needed.

import { NotFoundError, type Backend } from '../storage/backend';
import type { LocalView } from './local-view';
import type { TierReport } from './tier-report';
import type { TierState } from './tier-state';

export interface EvictionResult {
  evicted: { objects: number; bytes: number };
  /** Packs the policy would evict but the remote does not hold (sync first). */
  notOnRemote: number;
}

/** Packs to evict: placed cold by the policy, kept here. */
export function evictionCandidates(report: TierReport, tierState: TierState): string[] {
  return [...report.placements].filter(([name, p]) => p.tier === 'cold' && p.info.facts.kind === 'data' && !tierState.isEvicted(name)).map(([name]) => name);
}

export async function evict(local: Backend, remote: { name: string; backend: Backend }, names: string[], tierState: TierState, options: { dryRun?: boolean } = {}): Promise<EvictionResult> {
  const result: EvictionResult = { evicted: { objects: 0, bytes: 0 }, notOnRemote: 0 };
  for (const name of names) {
    let size: number;
    try {
      size = (await local.head(name)).size;
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    let held = false;
    try {
      held = (await remote.backend.head(name)).size === size;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    if (!held) {
      result.notOnRemote++;
      continue;
    }
    result.evicted.objects++;
    result.evicted.bytes += size;
    if (options.dryRun) continue;
    tierState.markEvicted(name, { size, remote: remote.name, time: Date.now() });
    await tierState.save();
    await local.delete(name);
  }
  return result;
}

/** Fetches back the evicted packs among `names` (a course's current data); returns how many came back. */
export async function prefetch(view: LocalView, names: string[], tierState: TierState): Promise<{ objects: number; bytes: number }> {
  const wanted = names.filter((n) => tierState.isEvicted(n));
  const bytes = wanted.reduce((n, name) => n + (tierState.evictedPack(name)?.size ?? 0), 0);
  await view.fetch(wanted);
  return { objects: wanted.length, bytes };
}
