// Tiers and costs, as every host does them: where the bytes are and what the
// placement policy would move (the report), moving them between a remote's
// tiers, evicting cold packs here and fetching a course's back, course states
// (archived or active), the monthly cost, and the policy file itself. All
// over tiers/tiers.ts's facade, reading the session's history. The policy is
// this machine's file, not sealed: reading and writing it needs no
// passphrase, so those take a location too.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EngineError } from '../errors';
import type { Backend } from '../storage/backend';
import { openRemote, type RemoteConfig } from '../sync/remote-location';
import type { CostReport } from '../tiers/cost-report';
import type { EvictionResult } from '../tiers/evict';
import type { MigrationProgress, MigrationResult } from '../tiers/migrate';
import { defaultPolicy, loadPolicy, parsePolicyText, policyPath, savePolicy, type CourseState, type PlacementPolicy } from '../tiers/policy';
import type { TierReport } from '../tiers/tier-report';
import { Tiers } from '../tiers/tiers';
import type { TrackedFolder } from './folders';
import { dirOf, listRemotes, pickRemote, type RepositoryAt } from './remotes';
import type { Session } from './session';

export type { CostReport } from '../tiers/cost-report';
export type { TierReport } from '../tiers/tier-report';

/** A remote opened: its name (as the tier state records it) and its backend. */
export interface OpenedRemote {
  name: string;
  backend: Backend;
}

/** The session's tier facade, over the history it has loaded. */
async function tiersOf(s: Session): Promise<Tiers> {
  return Tiers.open(s.repo, s.dir, (await s.versions()).history);
}

/** The remote named, else the only one (pickRemote), opened for `run`. */
async function withRemote<T>(s: Session, name: string | undefined, run: (remote: OpenedRemote, config: RemoteConfig) => Promise<T>): Promise<T> {
  const config = pickRemote(await listRemotes(s), name);
  const backend = await openRemote(config);
  try {
    return await run({ name: config.name, backend }, config);
  } finally {
    await backend.close();
  }
}

/** withRemote, except that no remote at all is fine: `run` then gets none. */
async function withAnyRemote<T>(s: Session, name: string | undefined, run: (remote?: OpenedRemote, config?: RemoteConfig) => Promise<T>): Promise<T> {
  if (name === undefined && (await listRemotes(s)).length === 0) return run();
  return withRemote(s, name, run);
}

/** Where the bytes are, and the moves the policy wants on `remote` (if given: it is listed). */
export async function reportOn(s: Session, remote?: OpenedRemote): Promise<TierReport> {
  return (await tiersOf(s)).report(remote);
}

/** The report with the remote named, else the only one; without any remote, what the policy would do. */
export async function tierReport(s: Session, remoteName?: string): Promise<TierReport> {
  return withAnyRemote(s, remoteName, (r) => reportOn(s, r));
}

export interface MigrateOptions {
  onProgress?: (progress: MigrationProgress) => void;
  signal?: AbortSignal;
}

/** Moves packs between an opened remote's tiers as the policy says (resumable: the moves are recomputed each time); the report is what was planned. */
export async function migrateOn(s: Session, remote: OpenedRemote, options: MigrateOptions = {}): Promise<{ report: TierReport; migration: MigrationResult }> {
  const tiers = await tiersOf(s);
  const report = await tiers.report(remote);
  return { report, migration: await tiers.migrate(remote.backend, report, options) };
}

/** migrateOn with the remote named, else the only one. */
export async function migrateTiers(s: Session, remoteName: string | undefined, options: MigrateOptions = {}): Promise<{ report: TierReport; migration: MigrationResult }> {
  return withRemote(s, remoteName, (r) => migrateOn(s, r, options));
}

/** Frees space here: deletes the packs the policy places cold that the remote named (else the only one) holds; they are fetched back when read. */
export async function evictPacks(s: Session, remoteName: string | undefined, options: { dryRun?: boolean } = {}): Promise<{ remote: string; result: EvictionResult }> {
  return withRemote(s, remoteName, async (remote) => {
    const tiers = await tiersOf(s);
    return { remote: remote.name, result: await tiers.evict(remote, await tiers.report(remote), options) };
  });
}

/** Fetches back the evicted data `course`'s current files need; NOT_FOUND (listing the courses) for an unknown course. */
export async function prefetchCourse(s: Session, course: string): Promise<{ objects: number; bytes: number }> {
  const tiers = await tiersOf(s);
  tiers.assertCourse(course);
  return tiers.prefetch(course, await tiers.report());
}

export interface CourseStateOptions {
  /** Told once the policy file is written (only when the state changed), before any data is fetched back: a host lists the courses again. */
  onChanged?: () => Promise<void> | void;
}

/**
 * Marks `course` archived (its data goes cold on the remote and can be
 * evicted here) or active again (its evicted current data is fetched back).
 * The policy file is written only when the state changes. A course is named
 * as the history knows it (NOT_FOUND, listing the courses, for an unknown
 * one), or given as a folder tracked here (one added but never scanned is
 * not in the history yet).
 */
export async function setCourseState(s: Session, course: string | TrackedFolder, state: CourseState, options: CourseStateOptions = {}): Promise<{ changed: boolean; fetched: { objects: number; bytes: number } }> {
  const tiers = await tiersOf(s);
  if (typeof course === 'string') tiers.assertCourse(course);
  const name = typeof course === 'string' ? course : course.name;
  const changed = (tiers.policy.courses[name] ?? 'active') !== state;
  if (changed) {
    if (state === 'archived') tiers.policy.courses[name] = 'archived';
    else delete tiers.policy.courses[name];
    await savePolicy(s.dir, tiers.policy);
    await options.onChanged?.();
  }
  const fetched = state === 'active' ? await tiers.prefetch(name, await tiers.report()) : { objects: 0, bytes: 0 };
  return { changed, fetched };
}

/** The monthly cost of the remote named (else the only one; without any, as the policy would place it) by tier, against keeping it all hot. */
export async function tierCost(s: Session, remoteName?: string): Promise<CostReport> {
  return withAnyRemote(s, remoteName, async (r, config) => (await costOn(s, r, config)).cost);
}

/** The report on an opened `remote` (reportOn) and its monthly cost, the remote's URL (`config`) pricing its tiers; without a remote, as the policy would place it. */
export async function costOn(s: Session, remote?: OpenedRemote, config?: RemoteConfig): Promise<{ report: TierReport; cost: CostReport }> {
  const tiers = await tiersOf(s);
  const report = await tiers.report(remote);
  return { report, cost: tiers.cost(report, config) };
}

/** The policy in effect, the file that sets it, and whether it exists (else the defaults are in effect). */
export async function policyOf(at: RepositoryAt): Promise<{ file: string; exists: boolean; policy: PlacementPolicy }> {
  const dir = dirOf(at);
  const policy = await loadPolicy(dir);
  const file = await policyPath(dir);
  return { file, exists: existsSync(file), policy };
}

/** The policy file as text to edit: the file, else the defaults. */
export async function policyText(at: RepositoryAt): Promise<string> {
  try {
    return await readFile(await policyPath(dirOf(at)), 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    return `${JSON.stringify(defaultPolicy(), null, 2)}\n`;
  }
}

/** Writes the default policy to the policy file, to edit; INVALID_ARGUMENT if the file exists. Returns the file. */
export async function initPolicy(at: RepositoryAt): Promise<string> {
  const dir = dirOf(at);
  const file = await policyPath(dir);
  if (existsSync(file)) throw new EngineError('INVALID_ARGUMENT', `${file} exists; edit it`);
  await savePolicy(dir, defaultPolicy());
  return file;
}

/**
 * Replaces the policy file with the policy `text` sets (JSON), checked as the
 * file is read (INVALID_ARGUMENT naming the setting at fault, under "policy";
 * nothing is written then) and saved with the defaults filled in. An unlocked
 * repository takes its notion of media (new chunks' pack lanes) from it at once.
 */
export async function setPolicy(at: RepositoryAt, text: string): Promise<void> {
  const policy = parsePolicyText(text, 'policy');
  await savePolicy(dirOf(at), policy);
  if (typeof at !== 'string') at.setMedia(policy.media);
}
