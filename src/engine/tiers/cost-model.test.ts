// The cost model on a generated course library and a simulated year of reads:
// the default placement policy must save at least 20% against keeping
// everything hot, with early-deletion and retrieval charges included.
import { describe, expect, it } from 'vitest';
import { simulate, type SimCourse, type SimPack } from './cost-model';
import { decidePlacement, DEFAULT_POLICY, placement } from './policy';
import { AWS_US_EAST_1 } from './prices';

const MiB = 1024 * 1024;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** 24 courses: a third active, the rest archived; media, text, history and metadata packs. */
function library(seed: number): { packs: SimPack[]; courses: SimCourse[]; reads: Array<{ day: number; course: number }> } {
  const random = rng(seed);
  const courses: SimCourse[] = Array.from({ length: 24 }, (_, i) => ({ state: i % 3 === 0 ? 'active' : 'archived' }));
  const packs: SimPack[] = [];
  courses.forEach((course, c) => {
    const age = course.state === 'active' ? 20 + Math.floor(random() * 60) : 200 + Math.floor(random() * 600);
    for (let i = 0; i < 20 + Math.floor(random() * 20); i++) packs.push({ bytes: 16 * MiB, kind: 'data', course: c, current: true, ageAtStart: age });
    for (let i = 0; i < 10; i++) packs.push({ bytes: 16 * MiB, kind: 'data', course: c, current: false, ageAtStart: age + 30 });
    packs.push({ bytes: 4 * MiB, kind: 'data', course: c, current: true, ageAtStart: 2 });
    packs.push({ bytes: 1 * MiB, kind: 'metadata', course: c, current: true, ageAtStart: 1 });
  });
  // Active courses are opened about twice a week; an archived one has a 10% chance of being opened each month.
  const reads: Array<{ day: number; course: number }> = [];
  courses.forEach((course, c) => {
    for (let day = 0; day < 365; day++) {
      if (course.state === 'active' ? random() < 2 / 7 : random() < 0.1 / 30) reads.push({ day, course: c });
    }
  });
  return { packs, courses, reads };
}

describe('cost model', () => {
  it('the default policy saves at least 20% against all hot over a simulated year, all charges included', () => {
    for (const seed of [1, 2, 3]) {
      const lib = library(seed);
      const base = { ...lib, days: 365, prices: AWS_US_EAST_1 };
      const hot = simulate({ ...base, policy: 'all-hot' });
      const tiered = simulate({ ...base, policy: DEFAULT_POLICY });
      const savings = 1 - tiered.total / hot.total;
      expect(savings).toBeGreaterThanOrEqual(0.2);
      // The model charged what tiering costs, not only what it saves.
      expect(tiered.retrieval).toBeGreaterThan(0);
      expect(tiered.earlyDeletion).toBeGreaterThan(0);
      expect(tiered.migrations).toBeGreaterThan(0);
      expect(hot.retrieval + hot.earlyDeletion).toBe(0);
      expect(tiered.gibMonthsByClass.GLACIER ?? 0).toBeGreaterThan(0);
    }
  });

  it('charges early deletion and retrieval as published', () => {
    // One 1 GiB pack put in GLACIER on day 0 and read on day 31: the policy brings it back hot on day 60,
    // 60 days into GLACIER's 90-day minimum.
    const packs: SimPack[] = [{ bytes: 1024 * MiB, kind: 'data', course: 0, current: true, ageAtStart: 400 }];
    const result = simulate({ packs, courses: [{ state: 'archived' }], reads: [{ day: 31, course: 0 }], days: 61, prices: AWS_US_EAST_1, policy: DEFAULT_POLICY });
    expect(result.migrations).toBe(1);
    const g = AWS_US_EAST_1.GLACIER!;
    const std = AWS_US_EAST_1.STANDARD!;
    // GLACIER bills 32 KiB of index per object at its rate and 8 KiB of metadata at STANDARD's.
    const daily = ((1024 * MiB + g.overheadBytes) / 1024 ** 3) * g.perGbMonth / 30 + (g.overheadStandardBytes / 1024 ** 3) * std.perGbMonth / 30;
    expect(result.earlyDeletion).toBeCloseTo(daily * 30, 10);
    // Read on day 31 (restore request + 1 GiB retrieval) and moved out on day 60 (the same again).
    expect(result.retrieval).toBeCloseTo(2 * g.retrievalPerGb, 10);
  });

  it('keeps metadata and recently read data hot, and sends archived and historical data cold', () => {
    const base = { kind: 'data' as const, courseState: 'active' as const, current: true, ageDays: 400, daysSinceRead: null };
    expect(placement({ ...base, kind: 'metadata', courseState: 'archived' })).toBe('hot');
    expect(placement(base)).toBe('hot');
    expect(placement({ ...base, courseState: 'archived' })).toBe('cold');
    expect(placement({ ...base, courseState: 'archived', daysSinceRead: 3 })).toBe('hot');
    expect(placement({ ...base, courseState: 'archived', ageDays: 5 })).toBe('hot');
    expect(placement({ ...base, current: false })).toBe('cold');
    expect(placement({ ...base, current: false, ageDays: 30 })).toBe('hot');
    // Old media of a course archived only recently is old media all the same; old text stays hot.
    expect(placement({ ...base, courseState: 'archived', current: false, ageDays: 100 }, { ...DEFAULT_POLICY, archivedColdAfterDays: 200 })).toBe('cold');
    expect(placement({ ...base, current: false, content: 'text' })).toBe('hot');
    expect(placement({ ...base, recentReads: 3, courseState: 'archived' })).toBe('hot');
  });

  it('says why, in words that match the placement', () => {
    const base = { kind: 'data' as const, courseState: 'active' as const, current: true, ageDays: 400, daysSinceRead: null };
    expect(decidePlacement({ ...base, courseState: 'archived' })).toEqual({ tier: 'cold', reason: 'archived course' });
    expect(decidePlacement({ ...base, courseState: 'archived', ageDays: 5 })).toEqual({ tier: 'hot', reason: 'archived course, cold after 30 days' });
    expect(decidePlacement({ ...base, current: false, ageDays: 30 })).toEqual({ tier: 'hot', reason: 'old versions, cold after 90 days' });
    expect(decidePlacement({ ...base, current: false, content: 'text' })).toEqual({ tier: 'hot', reason: 'old text versions stay hot' });
    expect(decidePlacement({ ...base, daysSinceRead: 3, courseState: 'archived' })).toEqual({ tier: 'hot', reason: 'read 3 days ago' });
  });
});
