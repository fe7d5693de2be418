// The cost model: what keeping packs in storage classes costs over time
// (storage by the day, with minimum billable sizes and archive overheads),
// what requests cost (uploads, migrations as copies, reads, archive restore
// requests), retrieval by the GB, and early-deletion charges when an object
// leaves a class before its minimum storage duration. `simulate` runs a
// library of packs through a year of reads under a placement policy (or all
// hot, the baseline), re-evaluating placement every month.

import { placement, type PackFacts, type PlacementPolicy, type Tier } from './policy';
import { priceOf, type PriceTable } from './prices';

const GIB = 1024 ** 3;

export interface CostBreakdown {
  storage: number;
  requests: number;
  retrieval: number;
  earlyDeletion: number;
  total: number;
}

export interface SimPack {
  bytes: number;
  kind: 'metadata' | 'data';
  course: number;
  current: boolean;
  /** Age in days when the simulation starts. */
  ageAtStart: number;
}

export interface SimCourse {
  state: 'active' | 'archived';
}

export interface SimulationInput {
  packs: SimPack[];
  courses: SimCourse[];
  /** Course opened on a day: every current data pack of it is read once. */
  reads: Array<{ day: number; course: number }>;
  days: number;
  prices: PriceTable;
  /** Placement policy, or 'all-hot' for the baseline. */
  policy: PlacementPolicy | 'all-hot';
  hotClass?: string;
  /** Placement is re-evaluated every this many days (default 30). */
  evaluateEvery?: number;
}

export interface SimulationResult extends CostBreakdown {
  migrations: number;
  /** GiB-months stored per class (for reports). */
  gibMonthsByClass: Record<string, number>;
}

/** Billable bytes of one object in a class, per day, in dollars. */
function dailyStorage(prices: PriceTable, storageClass: string, bytes: number): number {
  const p = priceOf(prices, storageClass);
  const std = priceOf(prices, 'STANDARD');
  const billable = Math.max(bytes, p.minObjectBytes) + p.overheadBytes;
  return (billable / GIB) * p.perGbMonth / 30 + (p.overheadStandardBytes / GIB) * std.perGbMonth / 30;
}

/** What keeping one object of `bytes` in a class costs per (30-day) month, minimum size and archive overheads included. */
export function monthlyStorage(prices: PriceTable, storageClass: string, bytes: number): number {
  return dailyStorage(prices, storageClass, bytes) * 30;
}

export function simulate(input: SimulationInput): SimulationResult {
  const { prices } = input;
  const every = input.evaluateEvery ?? 30;
  const policy = input.policy;
  const hotClass = policy === 'all-hot' ? (input.hotClass ?? 'STANDARD') : policy.hotClass;
  const classOf = (tier: Tier): string => (tier === 'hot' || policy === 'all-hot' ? hotClass : policy.coldClass);
  const result: SimulationResult = { storage: 0, requests: 0, retrieval: 0, earlyDeletion: 0, total: 0, migrations: 0, gibMonthsByClass: {} };
  const state = input.packs.map(() => ({ cls: hotClass, since: 0, lastRead: null as number | null }));
  const readsByDay = new Map<number, number[]>();
  for (const r of input.reads) readsByDay.set(r.day, [...(readsByDay.get(r.day) ?? []), r.course]);

  const decide = (i: number, day: number): string => {
    if (policy === 'all-hot') return hotClass;
    const pack = input.packs[i] as SimPack;
    const s = state[i] as (typeof state)[number];
    const facts: PackFacts = {
      kind: pack.kind,
      courseState: (input.courses[pack.course] as SimCourse).state,
      current: pack.current,
      ageDays: pack.ageAtStart + day,
      daysSinceRead: s.lastRead === null ? null : day - s.lastRead,
    };
    return classOf(placement(facts, policy));
  };

  // Day 0: every pack is uploaded to where the policy puts it.
  input.packs.forEach((_, i) => {
    const s = state[i] as (typeof state)[number];
    s.cls = decide(i, 0);
    result.requests += priceOf(prices, s.cls).putPer1000 / 1000;
  });
  for (let day = 0; day < input.days; day++) {
    if (day > 0 && day % every === 0) {
      input.packs.forEach((pack, i) => {
        const s = state[i] as (typeof state)[number];
        const target = decide(i, day);
        if (target === s.cls) return;
        // Leaving a class early is billed for the rest of its minimum duration.
        const from = priceOf(prices, s.cls);
        const stayed = day - s.since;
        if (stayed < from.minDays) result.earlyDeletion += dailyStorage(prices, s.cls, pack.bytes) * (from.minDays - stayed);
        // A move is a copy into the new class (a PUT-priced request), plus reading the old copy out of an archive class.
        result.requests += priceOf(prices, target).putPer1000 / 1000;
        if (from.restorePer1000 > 0) {
          result.requests += from.restorePer1000 / 1000;
          result.retrieval += (pack.bytes / GIB) * from.retrievalPerGb;
        }
        s.cls = target;
        s.since = day;
        result.migrations++;
      });
    }
    for (const course of readsByDay.get(day) ?? []) {
      input.packs.forEach((pack, i) => {
        if (pack.course !== course || pack.kind !== 'data' || !pack.current) return;
        const s = state[i] as (typeof state)[number];
        const p = priceOf(prices, s.cls);
        result.requests += p.getPer1000 / 1000 + p.restorePer1000 / 1000;
        result.retrieval += (pack.bytes / GIB) * p.retrievalPerGb;
        s.lastRead = day;
      });
    }
    input.packs.forEach((pack, i) => {
      const s = state[i] as (typeof state)[number];
      result.storage += dailyStorage(prices, s.cls, pack.bytes);
      result.gibMonthsByClass[s.cls] = (result.gibMonthsByClass[s.cls] ?? 0) + pack.bytes / GIB / 30;
    });
  }
  result.total = result.storage + result.requests + result.retrieval + result.earlyDeletion;
  return result;
}
