// Where a repository's bytes are and where the policy wants them: this
// machine (kept or evicted), a remote's hot and cold tiers, per course; and
// the moves that would bring the remote in line with the policy. The moves
// are recomputed from what the remote reports each time, which is what makes
// migration resumable: whatever an interrupted run finished is no longer a
// move.

import { objectNames } from '../repo/format';
import type { Backend, Tier } from '../storage/backend';
import type { PackInfo } from './pack-facts';
import { decidePlacement, type PlacementPolicy } from './policy';
import type { TierState } from './tier-state';

export interface Bytes {
  objects: number;
  bytes: number;
}

export interface Move {
  name: string;
  bytes: number;
  from: Tier;
  to: Tier;
  reason: string;
  courses: string[];
}

export interface CourseTiers {
  course: string;
  state: 'active' | 'archived';
  /** Data of this course: where it is now and where the policy wants it. */
  bytes: number;
  remoteHot: number;
  remoteCold: number;
  wantCold: number;
  evicted: number;
}

export interface TierReport {
  local: { kept: Bytes; evicted: Bytes };
  remote?: {
    name: string;
    /** Whether the remote has a cold tier at all (one folder, or one storage class, has not). */
    tiered: boolean;
    hot: Bytes;
    cold: Bytes;
    /** Of the hot bytes, the metadata objects (index, snapshots, version batches, keys, config). */
    metadata: Bytes;
    /** Packs this machine has that the remote lacks (not synced yet). */
    notUploaded: Bytes;
  };
  courses: CourseTiers[];
  /** What the policy would move on the remote. */
  moves: Move[];
  /** Per pack: where the policy wants it (for eviction and costs). */
  placements: Map<string, { tier: Tier; reason: string; info: PackInfo }>;
}

const add = (b: Bytes, bytes: number): void => {
  b.objects++;
  b.bytes += bytes;
};
const none = (): Bytes => ({ objects: 0, bytes: 0 });

/** Lists the remote (if given) and compares it with the policy's placement of every pack. */
export async function tierReport(packs: Map<string, PackInfo>, policy: PlacementPolicy, tierState: TierState, remote?: { name: string; backend: Backend }): Promise<TierReport> {
  const placements: TierReport['placements'] = new Map();
  for (const [name, info] of packs) placements.set(name, { ...decidePlacement(info.facts, policy), info });

  const evicted = tierState.evicted();
  const local = { kept: none(), evicted: none() };
  for (const [name, info] of packs) add(evicted.has(name) ? local.evicted : local.kept, info.size);

  const report: TierReport = { local, courses: [], moves: [], placements };
  const remoteTier = new Map<string, Tier>();
  if (remote) {
    const r = { name: remote.name, tiered: remote.backend.setTier !== undefined, hot: none(), cold: none(), metadata: none(), notUploaded: none() };
    for await (const info of remote.backend.list('')) {
      const tier = info.tier ?? 'hot';
      add(tier === 'cold' ? r.cold : r.hot, info.size);
      if (info.name.startsWith(objectNames.packPrefix)) remoteTier.set(info.name, tier);
      else add(r.metadata, info.size);
    }
    for (const [name, info] of packs) if (!remoteTier.has(name) && !evicted.has(name)) add(r.notUploaded, info.size);
    report.remote = r;
    if (r.tiered) {
      for (const [name, want] of placements) {
        const now = remoteTier.get(name);
        if (now !== undefined && now !== want.tier) report.moves.push({ name, bytes: want.info.size, from: now, to: want.tier, reason: want.reason, courses: want.info.courses });
      }
    }
  }

  const courses = new Map<string, CourseTiers>();
  for (const [name, { tier, info }] of placements) {
    if (info.facts.kind !== 'data') continue;
    for (const course of info.courses) {
      let c = courses.get(course);
      if (!c) {
        c = { course, state: policy.courses[course] ?? 'active', bytes: 0, remoteHot: 0, remoteCold: 0, wantCold: 0, evicted: 0 };
        courses.set(course, c);
      }
      // A pack shared by several courses counts in each of them.
      c.bytes += info.size;
      const at = remoteTier.get(name);
      if (at === 'hot') c.remoteHot += info.size;
      if (at === 'cold') c.remoteCold += info.size;
      if (tier === 'cold') c.wantCold += info.size;
      if (evicted.has(name)) c.evicted += info.size;
    }
  }
  report.courses = [...courses.values()].sort((a, b) => a.course.localeCompare(b.course));
  return report;
}
