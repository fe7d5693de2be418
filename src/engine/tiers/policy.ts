// Where a pack should live: the placement policy, and the file that
// configures it (`tiers.json` in this machine's state folder of the
// repository, fs/state-home.ts; docs/tiers.md). Metadata
// (index, snapshots, version batches, keys, metadata packs) always stays hot.
// Data packs go cold when their course is archived, or when they hold only
// historical versions of media, once old enough that the cold class's minimum
// storage duration is unlikely to be charged; text stays hot (small, and read
// by every diff and blame); anything read recently or often stays (or comes
// back) hot.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { findMachineStateDir, machineStateDir } from '../fs/state-home';
import type { ClassPrice } from './prices';

export type Tier = 'hot' | 'cold';
export type CourseState = 'active' | 'archived';

export interface PlacementPolicy {
  /** Storage classes of the tiers (for costs; an S3 remote's URL names its own). */
  hotClass: string;
  coldClass: string;
  /** Data of an archived course goes cold this many days after the course last changed. */
  archivedColdAfterDays: number;
  /** Data holding only old versions goes cold this many days after it was superseded; null: never. */
  historicalColdAfterDays: { media: number | null; text: number | null };
  /** Data read within this many days stays hot. */
  readKeepsHotDays: number;
  /** Data read at least this many times in the last 90 days stays hot (0: no such rule). */
  frequentReads: number;
  /** What counts as media (content-class.ts); absent: the built-in lists. */
  media?: { extensions?: string[]; minBytes?: number; previewMaxBytes?: number };
  /** Course states by folder name; a course not named is active. */
  courses: Record<string, CourseState>;
  /** Price overrides by storage class (prices.ts); absent fields keep the defaults. */
  prices: Record<string, Partial<ClassPrice>>;
}

export const DEFAULT_POLICY: Readonly<PlacementPolicy> = Object.freeze({
  hotClass: 'STANDARD',
  coldClass: 'GLACIER',
  archivedColdAfterDays: 30,
  historicalColdAfterDays: Object.freeze({ media: 90, text: null }),
  readKeepsHotDays: 30,
  frequentReads: 3,
  courses: Object.freeze({}),
  prices: Object.freeze({}),
});

/** What the policy looks at for one pack. */
export interface PackFacts {
  kind: 'metadata' | 'data';
  /** What the pack holds (packs are filled per content class); default media. */
  content?: 'media' | 'text';
  courseState: CourseState;
  /** Whether the pack holds chunks of current versions (not only history). */
  current: boolean;
  /** Days since the pack's content last changed state: since its course last changed if current, else since it was superseded. */
  ageDays: number;
  /** Days since it was last read, or null if never (tracked locally). */
  daysSinceRead: number | null;
  /** Reads in the last 90 days. */
  recentReads?: number;
}

/** Where the policy puts a pack, and why in words (for `strata tiers`): one decision, so the two never disagree. */
export function decidePlacement(facts: PackFacts, policy: PlacementPolicy = DEFAULT_POLICY): { tier: Tier; reason: string } {
  if (facts.kind === 'metadata') return { tier: 'hot', reason: 'metadata stays hot' };
  if (facts.daysSinceRead !== null && facts.daysSinceRead < policy.readKeepsHotDays) return { tier: 'hot', reason: `read ${facts.daysSinceRead} days ago` };
  if (policy.frequentReads > 0 && (facts.recentReads ?? 0) >= policy.frequentReads) return { tier: 'hot', reason: `read ${facts.recentReads} times lately` };
  const archived = facts.courseState === 'archived';
  if (archived && facts.ageDays >= policy.archivedColdAfterDays) return { tier: 'cold', reason: 'archived course' };
  if (!facts.current) {
    const content = facts.content ?? 'media';
    const after = policy.historicalColdAfterDays[content];
    if (after !== null && facts.ageDays >= after) return { tier: 'cold', reason: `old versions, ${Math.floor(facts.ageDays)} days` };
    if (!archived) return { tier: 'hot', reason: after === null ? `old ${content} versions stay hot` : `old versions, cold after ${after} days` };
  }
  if (archived) return { tier: 'hot', reason: `archived course, cold after ${policy.archivedColdAfterDays} days` };
  return { tier: 'hot', reason: 'current versions of an active course' };
}

export function placement(facts: PackFacts, policy: PlacementPolicy = DEFAULT_POLICY): Tier {
  return decidePlacement(facts, policy).tier;
}

// ---- the configuration file ---------------------------------------------

const POLICY_FILE = 'tiers.json';

/** The policy file of a local repository (made with this machine's state folder of it, if there is none yet). */
export async function policyPath(repositoryDir: string): Promise<string> {
  return join(await machineStateDir(repositoryDir), POLICY_FILE);
}

/** The policy of a local repository: its file, or the defaults where there is none. */
export async function loadPolicy(repositoryDir: string): Promise<PlacementPolicy> {
  const dir = await findMachineStateDir(repositoryDir);
  if (dir === undefined) return defaultPolicy();
  const path = join(dir, POLICY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return defaultPolicy();
    throw new EngineError('INVALID_ARGUMENT', `cannot read ${path}: ${(error as Error).message}`);
  }
  return parsePolicyText(text, path);
}

/** A policy written as JSON text (the file's, or one a host was given): parsePolicy, after the JSON; INVALID_ARGUMENT under `where` for either. */
export function parsePolicyText(text: string, where = POLICY_FILE): PlacementPolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EngineError('INVALID_ARGUMENT', `${where} is not valid JSON: ${(error as Error).message}`);
  }
  return parsePolicy(value, where);
}

export async function savePolicy(repositoryDir: string, policy: PlacementPolicy): Promise<void> {
  await writeFileAtomic(await policyPath(repositoryDir), `${JSON.stringify(policy, null, 2)}\n`);
}

export function defaultPolicy(): PlacementPolicy {
  return { ...DEFAULT_POLICY, historicalColdAfterDays: { ...DEFAULT_POLICY.historicalColdAfterDays }, courses: {}, prices: {} };
}

const STORAGE_CLASS = /^[A-Z][A-Z0-9_]{0,63}$/;
const PRICE_FIELDS = ['perGbMonth', 'putPer1000', 'getPer1000', 'retrievalPerGb', 'restorePer1000', 'minDays', 'minObjectBytes', 'overheadBytes', 'overheadStandardBytes'] as const;

/** Checks a policy file's content field by field: defaults for what is absent, a clear error for what is wrong. */
export function parsePolicy(value: unknown, where = POLICY_FILE): PlacementPolicy {
  const bad = (field: string, want: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `${where}: "${field}" must be ${want}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('(top level)', 'an object');
  const v = value as Record<string, unknown>;
  const known = new Set(['hotClass', 'coldClass', 'archivedColdAfterDays', 'historicalColdAfterDays', 'readKeepsHotDays', 'frequentReads', 'media', 'courses', 'prices']);
  for (const key of Object.keys(v)) if (!known.has(key)) bad(key, `one of the known settings (${[...known].join(', ')}); unknown setting`);
  const policy = defaultPolicy();
  const days = (field: string, x: unknown, nullable = false): number | null => {
    if (nullable && x === null) return null;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) return bad(field, nullable ? 'a number of days (0 or more) or null' : 'a number of days (0 or more)');
    return x;
  };
  for (const field of ['hotClass', 'coldClass'] as const) {
    if (v[field] === undefined) continue;
    if (typeof v[field] !== 'string' || !STORAGE_CLASS.test(v[field])) bad(field, 'a storage class name such as STANDARD or GLACIER');
    policy[field] = v[field] as string;
  }
  if (v.archivedColdAfterDays !== undefined) policy.archivedColdAfterDays = days('archivedColdAfterDays', v.archivedColdAfterDays) as number;
  if (v.readKeepsHotDays !== undefined) policy.readKeepsHotDays = days('readKeepsHotDays', v.readKeepsHotDays) as number;
  if (v.frequentReads !== undefined) {
    if (!Number.isInteger(v.frequentReads) || (v.frequentReads as number) < 0) bad('frequentReads', 'a whole number (0 turns the rule off)');
    policy.frequentReads = v.frequentReads as number;
  }
  if (v.historicalColdAfterDays !== undefined) {
    const h = v.historicalColdAfterDays;
    if (typeof h !== 'object' || h === null || Array.isArray(h)) return bad('historicalColdAfterDays', 'an object { "media": days or null, "text": days or null }');
    for (const key of Object.keys(h)) if (key !== 'media' && key !== 'text') bad(`historicalColdAfterDays.${key}`, 'absent (only "media" and "text" exist)');
    const hh = h as Record<string, unknown>;
    if ('media' in hh) policy.historicalColdAfterDays.media = days('historicalColdAfterDays.media', hh.media, true);
    if ('text' in hh) policy.historicalColdAfterDays.text = days('historicalColdAfterDays.text', hh.text, true);
  }
  if (v.media !== undefined) {
    const m = v.media as Record<string, unknown>;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return bad('media', 'an object { "extensions": [...], "minBytes": n }');
    const media: NonNullable<PlacementPolicy['media']> = {};
    if (m.extensions !== undefined) {
      if (!Array.isArray(m.extensions) || !m.extensions.every((e) => typeof e === 'string' && /^[A-Za-z0-9]{1,16}$/.test(e))) bad('media.extensions', 'a list of file extensions without dots, e.g. ["mp4", "mov"]');
      media.extensions = (m.extensions as string[]).map((e) => e.toLowerCase());
    }
    if (m.minBytes !== undefined) {
      if (!Number.isSafeInteger(m.minBytes) || (m.minBytes as number) < 1) bad('media.minBytes', 'a size in bytes (files this large count as media)');
      media.minBytes = m.minBytes as number;
    }
    if (m.previewMaxBytes !== undefined) {
      if (!Number.isSafeInteger(m.previewMaxBytes) || (m.previewMaxBytes as number) < 0) bad('media.previewMaxBytes', 'a size in bytes (smaller images count as previews, kept with text)');
      media.previewMaxBytes = m.previewMaxBytes as number;
    }
    for (const key of Object.keys(m)) if (!['extensions', 'minBytes', 'previewMaxBytes'].includes(key)) bad(`media.${key}`, 'absent (only "extensions", "minBytes" and "previewMaxBytes" exist)');
    policy.media = media;
  }
  if (v.courses !== undefined) {
    const c = v.courses;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return bad('courses', 'an object of course name to "active" or "archived"');
    for (const [name, state] of Object.entries(c)) {
      if (state !== 'active' && state !== 'archived') bad(`courses.${name}`, '"active" or "archived"');
      policy.courses[name] = state as CourseState;
    }
  }
  if (v.prices !== undefined) {
    const p = v.prices;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return bad('prices', 'an object of storage class to prices');
    for (const [cls, fields] of Object.entries(p)) {
      if (!STORAGE_CLASS.test(cls)) bad(`prices.${cls}`, 'keyed by a storage class name');
      if (typeof fields !== 'object' || fields === null) return bad(`prices.${cls}`, 'an object of price fields');
      const out: Partial<ClassPrice> = {};
      for (const [k, x] of Object.entries(fields)) {
        if (!(PRICE_FIELDS as readonly string[]).includes(k)) bad(`prices.${cls}.${k}`, `one of ${PRICE_FIELDS.join(', ')}`);
        if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) bad(`prices.${cls}.${k}`, 'a number (0 or more)');
        out[k as (typeof PRICE_FIELDS)[number]] = x as number;
      }
      policy.prices[cls] = out;
    }
  }
  return policy;
}
