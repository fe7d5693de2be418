// Where a pack should live: the placement policy. Metadata (index, snapshots,
// version batches, keys, metadata packs) always stays hot; data packs go cold
// when their course is archived, or when they hold only historical versions,
// once they are old enough that the cold class's minimum storage duration is
// unlikely to be charged; anything read recently stays (or comes back) hot.

export type Tier = 'hot' | 'cold';

export interface PlacementPolicy {
  /** Storage classes of the tiers. */
  hotClass: string;
  coldClass: string;
  /** Data of an archived course goes cold this many days after it was last written. */
  archivedColdAfterDays: number;
  /** Data holding only old versions of files goes cold after this many days. */
  historicalColdAfterDays: number;
  /** Data read within this many days stays hot. */
  readKeepsHotDays: number;
}

export const DEFAULT_POLICY: PlacementPolicy = Object.freeze({
  hotClass: 'STANDARD',
  coldClass: 'GLACIER',
  archivedColdAfterDays: 30,
  historicalColdAfterDays: 90,
  readKeepsHotDays: 30,
});

/** What the policy looks at for one pack. */
export interface PackFacts {
  kind: 'metadata' | 'data';
  courseState: 'active' | 'archived';
  /** Whether the pack holds chunks of current versions (not only history). */
  current: boolean;
  /** Days since the pack was written. */
  ageDays: number;
  /** Days since it was last read, or null if never (tracked locally). */
  daysSinceRead: number | null;
}

export function placement(facts: PackFacts, policy: PlacementPolicy = DEFAULT_POLICY): Tier {
  if (facts.kind === 'metadata') return 'hot';
  if (facts.daysSinceRead !== null && facts.daysSinceRead < policy.readKeepsHotDays) return 'hot';
  if (facts.courseState === 'archived' && facts.ageDays >= policy.archivedColdAfterDays) return 'cold';
  if (!facts.current && facts.ageDays >= policy.historicalColdAfterDays) return 'cold';
  return 'hot';
}
