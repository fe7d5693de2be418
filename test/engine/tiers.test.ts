// Tiers end to end on a folder remote with a hot and a cold part: the policy
// file decides, the report shows where bytes are and what would move,
// migration moves whole packs of an archived course (and is a no-op when run
// again), eviction frees local space, reads fetch evicted packs back byte for
// byte, sync does not download them again, check passes, and prefetch brings
// a course's current data back. Also the archive-class waiting path through
// a simulated archive, and the cost report.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/maintenance/check';
import { initRepositoryAt } from '../../src/engine/repo/location';
import type { Repository } from '../../src/engine/repo/repository';
import { NotFoundError, type Backend } from '../../src/engine/storage/backend';
import { LocalBackend } from '../../src/engine/storage/local';
import { TieredBackend } from '../../src/engine/storage/tiered';
import { openRemote, type RemoteConfig } from '../../src/engine/sync/remote-location';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { LocalView } from '../../src/engine/tiers/local-view';
import { defaultPolicy, parsePolicy, savePolicy } from '../../src/engine/tiers/policy';
import { readThawing, ThawingError } from '../../src/engine/tiers/thaw';
import { TierState } from '../../src/engine/tiers/tier-state';
import { openLocalRepository, Tiers } from '../../src/engine/tiers/tiers';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import type { Session } from '../../src/engine/ops/session';
import { sessionOf } from './sessions';
import { ArchiveSimulator } from '../storage/archive-sim';
import { fastKdf, seededBytes, tempDirPerTest, writeSettled } from '../helpers';

const PASS = 'tiers test passphrase';
const DAY = 86_400_000;
const dir = tempDirPerTest('strata-tiers-');

interface Setup {
  repoDir: string;
  repo: Repository;
  session: Session;
  remote: RemoteConfig;
  backend: Backend;
  physics: string;
  history: string;
}

/** Two courses, each with media and text, recorded and synced to a folder remote with hot and cold parts. */
async function setup(): Promise<Setup> {
  const repoDir = join(dir.path, 'repo');
  await initRepositoryAt(repoDir, PASS, { kdf: fastKdf() });
  const repo = await openLocalRepository(repoDir, PASS);
  const physics = join(dir.path, 'physics');
  const history = join(dir.path, 'history');
  await writeSettled(join(physics, 'lecture-1.mp4'), seededBytes(1, 3_000_000));
  await writeSettled(join(physics, 'notes.md'), '# Physics\nForces and motion.\n');
  await writeSettled(join(history, 'lecture-1.mov'), seededBytes(2, 2_500_000));
  await writeSettled(join(history, 'map.png'), seededBytes(3, 400_000));
  await writeSettled(join(history, 'readme.md'), '# History\nThe long nineteenth century.\n');
  const session = await sessionOf(repo, repoDir);
  await addFolder(session, physics, 'physics');
  await addFolder(session, history, 'history');
  await scan(session);
  const remote: RemoteConfig = { name: 'disk', hot: pathToFileURL(join(dir.path, 'remote', 'hot')).href, cold: pathToFileURL(join(dir.path, 'remote', 'cold')).href };
  await (await session.versions()).state.remotes.set([remote]);
  const backend = await openRemote(remote, { create: true });
  await syncRepositories((repo.backend as LocalView).local, backend);
  return { repoDir, repo, session, remote, backend, physics, history };
}

async function names(backend: Backend, prefix = 'data/'): Promise<string[]> {
  const out: string[] = [];
  for await (const i of backend.list(prefix)) out.push(i.name);
  return out.sort();
}

describe('tiers on a folder remote', () => {
  it('archiving a course moves its packs cold, eviction frees them here, reads fetch them back, check passes', async () => {
    const s = await setup();
    let tiers = await Tiers.open(s.repo, s.repoDir);
    const fresh = await tiers.report({ name: 'disk', backend: s.backend });
    expect(fresh.moves).toEqual([]);
    expect(fresh.remote?.tiered).toBe(true);
    expect(fresh.remote?.notUploaded.objects).toBe(0);
    expect(fresh.courses.map((c) => c.course)).toEqual(['history', 'physics']);

    await savePolicy(s.repoDir, { ...defaultPolicy(), archivedColdAfterDays: 0, courses: { history: 'archived' } });
    tiers = await Tiers.open(s.repo, s.repoDir);
    const report = await tiers.report({ name: 'disk', backend: s.backend });
    expect(report.moves.length).toBeGreaterThan(0);
    for (const move of report.moves) {
      expect(move).toMatchObject({ from: 'hot', to: 'cold', courses: ['history'] });
    }
    // Packs are filled per course: physics data never rides along.
    const physicsPacks = [...report.placements].filter(([, p]) => p.info.courses.includes('physics')).map(([n]) => n);
    expect(physicsPacks.length).toBeGreaterThan(0);
    for (const n of physicsPacks) expect(report.moves.some((m) => m.name === n)).toBe(false);

    const result = await tiers.migrate(s.backend, report);
    expect(result.moved.objects).toBe(report.moves.length);
    expect(result.failed).toEqual([]);
    const cold = new LocalBackend(join(dir.path, 'remote', 'cold'));
    expect(await names(cold)).toEqual(report.moves.map((m) => m.name).sort());
    // Run again: nothing left to move (what a killed run finished is not a move any more).
    expect((await tiers.report({ name: 'disk', backend: s.backend })).moves).toEqual([]);

    const evicted = await tiers.evict({ name: 'disk', backend: s.backend }, await tiers.report({ name: 'disk', backend: s.backend }));
    expect(evicted.evicted.objects).toBe(report.moves.length);
    const local = new LocalBackend(s.repoDir);
    for (const m of report.moves) await expect(local.head(m.name)).rejects.toBeInstanceOf(NotFoundError);
    await s.repo.backend.close();

    // Sync does not bring them back; check still passes (the listing includes what the remote holds).
    const tierState = await TierState.load(s.repoDir);
    const again = await syncRepositories(local, s.backend, { skipDownload: (n) => tierState.isEvicted(n) });
    expect(again.downloaded.objects).toBe(0);
    const repo2 = await openLocalRepository(s.repoDir, PASS, { trackReads: false });
    expect((await check(repo2)).problems).toEqual([]);

    // Reading the archived course fetches its packs back, byte for byte.
    const session2 = await sessionOf(repo2, s.repoDir);
    const target = join(dir.path, 'history-restored');
    await restoreVersions(session2, s.history, { at: new Date(), target });
    for (const f of ['lecture-1.mov', 'map.png', 'readme.md']) {
      expect(Buffer.compare(await readFile(join(target, f)), await readFile(join(s.history, f)))).toBe(0);
    }
    expect((repo2.backend as LocalView).tierState.evicted().size).toBeLessThan(report.moves.length);
    await repo2.backend.close();
    await s.backend.close();
  });

  it('prefetch brings back a course\'s current data, and reads are recorded for the policy', async () => {
    const s = await setup();
    await savePolicy(s.repoDir, { ...defaultPolicy(), archivedColdAfterDays: 0, courses: { history: 'archived' } });
    const tiers = await Tiers.open(s.repo, s.repoDir);
    const report = await tiers.report({ name: 'disk', backend: s.backend });
    const evicted = await tiers.evict({ name: 'disk', backend: s.backend }, report);
    expect(evicted.evicted.objects).toBeGreaterThan(0);
    const back = await tiers.prefetch('history', report);
    expect(back.objects).toBe(evicted.evicted.objects);
    expect(tiers.tierState.evicted().size).toBe(0);
    for (const m of report.moves) expect((await new LocalBackend(s.repoDir).head(m.name)).size).toBeGreaterThan(0);
    // A read now marks the pack as in use: the policy keeps it hot despite the archived course.
    const session = await sessionOf(s.repo, s.repoDir);
    await restoreVersions(session, s.history, { at: new Date(), target: join(dir.path, 'out') });
    const after = await (await Tiers.open(s.repo, s.repoDir)).report({ name: 'disk', backend: s.backend });
    const read = [...after.placements.values()].filter((p) => p.info.courses.includes('history') && p.info.facts.daysSinceRead === 0);
    expect(read.length).toBeGreaterThan(0);
    for (const p of read) expect(p.tier).toBe('hot');
    await s.repo.backend.close();
    await s.backend.close();
  });

  it('the cost report prices each tier, the all-hot baseline and the saving, and recommends archiving idle courses', async () => {
    const s = await setup();
    const tiers = await Tiers.open(s.repo, s.repoDir);
    const now = Date.now();
    // A year from now, nothing read: both courses are idle and worth archiving.
    const later = now + 365 * DAY;
    const idle = tiers.cost(await tiers.report({ name: 'disk', backend: s.backend }, later), s.remote, later);
    expect(idle.basis).toBe('remote');
    expect(idle.savingsPercent).toBe(0);
    expect(idle.allHot).toBeCloseTo(idle.perMonth.total, 10);
    expect(idle.recommendations.filter((r) => r.action === 'archive').map((r) => r.course).sort()).toEqual(['history', 'physics']);
    for (const r of idle.recommendations) expect(r.savesPerMonth).toBeGreaterThan(0);

    await savePolicy(s.repoDir, { ...defaultPolicy(), archivedColdAfterDays: 0, courses: { history: 'archived' } });
    const t2 = await Tiers.open(s.repo, s.repoDir);
    const report = await t2.report({ name: 'disk', backend: s.backend });
    const before = t2.cost(report, s.remote);
    expect(before.recommendations.some((r) => r.action === 'migrate')).toBe(true);
    expect(before.policySavingsPercent).toBeGreaterThan(0);
    await t2.migrate(s.backend, report);
    const after = t2.cost(await t2.report({ name: 'disk', backend: s.backend }), s.remote);
    expect(after.perMonth.cold.bytes).toBeGreaterThan(0);
    expect(after.perMonth.total).toBeLessThan(after.allHot);
    expect(after.savingsPercent).toBeCloseTo(before.policySavingsPercent, 5);
    await s.repo.backend.close();
    await s.backend.close();
  });
});

describe('archive classes (simulated: no test server delays reads)', () => {
  it('a frozen read asks for a restore once and says when it will be ready; waiting reads it once thawed', async () => {
    const clock = { now: Date.parse('2026-11-28T10:00:00Z') };
    const hot = await LocalBackend.create(join(dir.path, 'hot'));
    const coldPlace = await LocalBackend.create(join(dir.path, 'cold'));
    const sim = new ArchiveSimulator(new TieredBackend(hot, coldPlace), clock, 4);
    const name = `data/ab/${'ab'.repeat(32)}`;
    await sim.put(name, new Uint8Array([1, 2, 3]), { tier: 'cold' });
    const tierState = await TierState.load(join(dir.path, 'repo'));
    const messages: string[] = [];
    const options = { now: () => clock.now, tierState, onState: (_n: string, m: string) => messages.push(m) };
    await expect(readThawing(sim, name, () => sim.get(name), options)).rejects.toBeInstanceOf(ThawingError);
    expect(messages.at(-1)).toMatch(/thawing, ready in about 4 hours/);
    expect(sim.requests).toBe(1);
    expect(tierState.thaw(name)?.storageClass).toBe('GLACIER');
    clock.now += 2 * 3_600_000;
    await expect(readThawing(sim, name, () => sim.get(name), options)).rejects.toThrow(/ready in about 2 hours/);
    expect(sim.requests).toBe(1); // still thawing: not asked again
    const sleeps: number[] = [];
    const bytes = await readThawing(sim, name, () => sim.get(name), { ...options, wait: true, pollMs: 30 * 60_000, sleep: async (ms) => { sleeps.push(ms); clock.now += ms; } });
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(sleeps.length).toBe(4); // two hours in half-hour polls
    expect(tierState.thaw(name)).toBeUndefined();
  });

  it('an evicted pack in an archive class: the read reports thawing, then fetches it back once thawed', async () => {
    const s = await setup();
    await savePolicy(s.repoDir, { ...defaultPolicy(), archivedColdAfterDays: 0, courses: { history: 'archived' } });
    const tiers = await Tiers.open(s.repo, s.repoDir);
    const report = await tiers.report({ name: 'disk', backend: s.backend });
    await tiers.migrate(s.backend, report);
    await tiers.evict({ name: 'disk', backend: s.backend }, await tiers.report({ name: 'disk', backend: s.backend }));
    await s.repo.backend.close();
    const clock = { now: Date.now() };
    const sim = new ArchiveSimulator(s.backend, clock, 4);
    const tierState = await TierState.load(s.repoDir);
    const view = new LocalView(new LocalBackend(s.repoDir), { tierState, openRemote: async () => sim, thaw: { now: () => clock.now } });
    const pack = report.moves[0]?.name as string;
    await expect(view.get(pack)).rejects.toThrow(/thawing, ready in about 4 hours/);
    clock.now += 4 * 3_600_000 + 1;
    const bytes = await view.get(pack);
    expect(bytes.length).toBe(report.moves[0]?.bytes);
    expect(tierState.isEvicted(pack)).toBe(false);
    await view.close();
  });
});

describe('the policy file', () => {
  it('fills defaults and names the wrong setting', () => {
    expect(parsePolicy({ courses: { Biology: 'archived' } }).courses).toEqual({ Biology: 'archived' });
    expect(parsePolicy({}).historicalColdAfterDays).toEqual({ media: 90, text: null });
    expect(() => parsePolicy({ archivedColdAfterDays: -1 })).toThrow(/"archivedColdAfterDays" must be a number of days/);
    expect(() => parsePolicy({ courses: { A: 'frozen' } })).toThrow(/"courses.A" must be "active" or "archived"/);
    expect(() => parsePolicy({ coldclass: 'GLACIER' })).toThrow(/unknown setting/);
    expect(() => parsePolicy({ prices: { GLACIER: { perGbMonth: 'cheap' } } })).toThrow(/prices.GLACIER.perGbMonth/);
    expect(parsePolicy({ prices: { GLACIER: { perGbMonth: 0.002 } } }).prices.GLACIER).toEqual({ perGbMonth: 0.002 });
  });
});
