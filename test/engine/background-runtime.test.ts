// The one background runtime (ops/background.ts) on the real engine, with
// folder remotes in temporary folders: an automatic sync brings another
// device's versions down, settles them into the folder and sends up at once
// what settling recorded; the watcher records a save and stops for good;
// manual and 'off' syncing; an unreachable remote; a sync cancelled through
// its host's signal; settling at the start that fails; and the remote picked
// by name. Waits are for the runtime's events or idle(), never for time: the
// test timeout is the bound.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors';
import { BackgroundRuntime, type BackgroundEvents, type BackgroundOptions } from '../../src/engine/ops/background';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { addRemote, clone, folderRemote, syncOnce } from '../../src/engine/ops/remotes';
import { initRepository, openSession } from '../../src/engine/ops/repository';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import type { Session } from '../../src/engine/ops/session';
import { parseBatchName } from '../../src/engine/repo/format';
import { batchFiles, fastKdf, tempDirPerTest, writeSettled } from '../helpers';

const PASS = 'background runtime passphrase';
const FAST = { quietMs: 50, syncDelayMs: 10 } as const;
const dir = tempDirPerTest('strata-background-');

/** What a test opened, closed after it (runtimes stopped first, then sessions). */
const runtimes: BackgroundRuntime[] = [];
const sessions: Session[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stop();
  for (const s of sessions.splice(0)) await s.close();
});

type Hooks = Required<BackgroundEvents>;
type Name = keyof Hooks;
type Args<N extends Name> = Parameters<Hooks[N]>;

// Every hook once (the compiler checks the list is whole).
const NAMES = Object.keys({
  scanned: true, warning: true, watchFailed: true, scanFailed: true, syncStarting: true, synced: true, syncFailed: true,
  syncCancelled: true, settled: true, settleFailed: true, historyProblems: true, migrated: true, syncState: true,
} satisfies Record<Name, true>) as Name[];

/** Every event a runtime tells, in order, and promises of the ones a test waits for. */
class Heard {
  readonly events: Array<{ name: Name; args: unknown[] }> = [];
  readonly hooks: BackgroundEvents;
  private readonly waiters = new Set<() => void>();

  /** `starting`: the host's answer to syncStarting (a signal, progress), if any. */
  constructor(starting?: Hooks['syncStarting']) {
    const hooks: Record<string, (...args: unknown[]) => unknown> = {};
    for (const name of NAMES) {
      hooks[name] = (...args: unknown[]) => {
        this.events.push({ name, args });
        for (const wake of [...this.waiters]) wake();
        return name === 'syncStarting' ? (starting?.(args[0] as string) ?? {}) : undefined;
      };
    }
    this.hooks = hooks as BackgroundEvents;
  }

  /** The arguments of every `name` event heard from event number `from` on. */
  all<N extends Name>(name: N, from = 0): Array<Args<N>> {
    return this.events.slice(from).filter((e) => e.name === name).map((e) => e.args as Args<N>);
  }

  /** The first `name` event from event number `from` on that passes `test`: one heard already, else the next one. */
  when<N extends Name>(name: N, test: (...args: Args<N>) => boolean = () => true, from = 0): Promise<Args<N>> {
    return new Promise((resolve) => {
      const check = (): void => {
        const found = this.all(name, from).find((args) => test(...args));
        if (!found) return;
        this.waiters.delete(check);
        resolve(found);
      };
      this.waiters.add(check);
      check();
    });
  }
}

function runtime(s: Session, options: BackgroundOptions, heard: Heard): BackgroundRuntime {
  const r = new BackgroundRuntime(s, { ...FAST, ...options }, heard.hooks);
  runtimes.push(r);
  return r;
}

/** A runtime over `s`, started, and what it tells (pass a Heard to answer syncStarting). */
async function started(s: Session, options: BackgroundOptions, heard = new Heard()): Promise<{ r: BackgroundRuntime; heard: Heard }> {
  const r = runtime(s, options, heard);
  await r.start();
  return { r, heard };
}

/** Every file under `root` (none when it does not exist). */
async function filesUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

/** The version batches of device `deviceId` in the folder repository at `repoDir`. */
async function batchesOf(repoDir: string, deviceId: string): Promise<string[]> {
  if (!existsSync(join(repoDir, 'versions'))) return [];
  return (await batchFiles(repoDir)).filter((n) => parseBatchName(`versions/${n}`)?.device === deviceId);
}

/** A new repository at `dir`/`name` with a course folder of `files` tracked and scanned. */
async function device(name: string, files: Record<string, string>): Promise<{ session: Session; repo: string; folder: string }> {
  const repo = join(dir.path, name);
  await initRepository(repo, PASS, { kdf: fastKdf() });
  const session = await openSession(repo, PASS);
  sessions.push(session);
  const folder = join(dir.path, `course-${name}`);
  for (const [rel, text] of Object.entries(files)) await writeSettled(join(folder, rel), text);
  await addFolder(session, folder, 'course');
  await scan(session);
  return { session, repo, folder };
}

const BLOCKER = 'a file where the remote folder should be\n';

/** Device A with a remote `name` it cannot reach: the remote's folder would be inside `blocker`, a file (removing it makes the remote reachable). */
async function unreachable(name: string): Promise<{ A: Awaited<ReturnType<typeof device>>; blocker: string; remote: string }> {
  const A = await device('A', { 'intro.md': 'intro\n' });
  const blocker = join(dir.path, 'blocker');
  await writeFile(blocker, BLOCKER);
  const remote = join(blocker, 'remote');
  await addRemote(A.session, { name, hot: remote });
  return { A, blocker, remote };
}

/** Device A with `files`, and a folder remote "disk" at `remote` in the test's folder (nothing synced yet). */
async function withDisk(files: Record<string, string> = { 'intro.md': 'intro\n' }): Promise<{ A: Awaited<ReturnType<typeof device>>; remote: string }> {
  const A = await device('A', files);
  const remote = join(dir.path, 'remote');
  await addRemote(A.session, folderRemote('disk', remote));
  return { A, remote };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);
}

const LESSON = ['# Waves', '', 'Sound is a wave.', '', '## Examples', '', '- a guitar string', '- a drum', '', '## Summary', '', 'Waves carry energy.', ''].join('\n');

describe('the background runtime', () => {
  it('automatic: a sync brings down another device\'s versions, settles them into the folder and sends the merge up at once', async () => {
    const { A, remote } = await withDisk({ 'lesson.md': LESSON });
    await syncOnce(A.session, 'disk');
    // Device B, set up from the remote alone, with the course put in place.
    const repoB = join(dir.path, 'B');
    await clone(remote, repoB, PASS, { name: 'disk' });
    const sessionB = await openSession(repoB, PASS);
    sessions.push(sessionB);
    const folderB = join(dir.path, 'course-B');
    await mkdir(folderB);
    await addFolder(sessionB, folderB, 'course');
    await restoreVersions(sessionB, folderB, { at: new Date() });
    await scan(sessionB);
    const deviceB = (await sessionB.versions()).state.batches.device;

    const { r: b, heard } = await started(sessionB, { watch: false, sync: 'automatic' });
    await b.idle(); // the sync at start is done
    const from = heard.events.length;

    // Offline edits on both devices: A edits the top and adds a file, and syncs up; B edits the bottom.
    const top = LESSON.replace('Sound is a wave.', 'Sound is a longitudinal wave.\nLight is not.');
    const bottom = LESSON.replace('Waves carry energy.', 'Waves carry energy, not matter.\nSee chapter 3.');
    await writeSettled(join(A.folder, 'lesson.md'), top, 30_000);
    await writeSettled(join(A.folder, 'new.md'), 'from A\n', 30_000);
    expect((await scan(A.session)).versions.map((v) => [v.path, v.op]).sort()).toEqual([['lesson.md', 'edit'], ['new.md', 'add']]);
    await syncOnce(A.session, 'disk');
    await writeSettled(join(folderB, 'lesson.md'), bottom, 20_000);
    expect((await sessionB.exclusive(() => scan(sessionB))).versions.map((v) => v.op)).toEqual(['edit']);
    const beforeB = await batchesOf(repoB, deviceB);

    const result = await b.syncNow();
    expect(result?.downloaded.objects).toBeGreaterThan(0);
    const settled = heard.all('settled', from).map(([r]) => r);
    expect(settled.length).toBe(1);
    expect(settled[0]?.written.sort()).toEqual(['course/lesson.md', 'course/new.md']);
    expect(settled[0]?.versions.map((v) => [v.path, v.op])).toEqual([['lesson.md', 'merge']]);
    expect(settled[0]?.conflicts).toEqual([]);
    expect(await readFile(join(folderB, 'new.md'), 'utf8')).toBe('from A\n');
    const merged = top.replace('Waves carry energy.', 'Waves carry energy, not matter.\nSee chapter 3.');
    expect(await readFile(join(folderB, 'lesson.md'), 'utf8')).toBe(merged);

    // The merge was recorded in a new batch of B's, and the remote holds it already: no further sync ran.
    const afterB = await batchesOf(repoB, deviceB);
    expect(afterB.length).toBe(beforeB.length + 1);
    expect(await batchesOf(join(remote, 'hot'), deviceB)).toEqual(afterB);
    expect(heard.all('synced', from).map(([name]) => name)).toEqual(['disk']);
    expect(heard.all('syncFailed', from)).toEqual([]);
    expect(b.syncState()).toMatchObject({ state: 'idle', remote: 'disk' });
    expect(b.syncState().lastSync).toEqual(expect.any(String));

    // A settles the merge the same way: both devices agree, with no merge of its own.
    const { r: a, heard: heardA } = await started(A.session, { watch: false, sync: 'manual' });
    await a.syncNow();
    expect(heardA.all('settled').flatMap(([r]) => r.versions)).toEqual([]);
    expect(await readFile(join(A.folder, 'lesson.md'), 'utf8')).toBe(merged);
  });

  it('watching: a save is recorded, the next syncNow puts it on the remote; stop() is idempotent and stops watching', async () => {
    const { A, remote } = await withDisk();
    const heard = new Heard();
    const r = runtime(A.session, { watch: true, sync: 'manual' }, heard);
    expect((await r.start()).map((f) => f.name)).toEqual(['course']);
    expect(r.watched().map((f) => f.name)).toEqual(['course']);

    const recorded = heard.when('scanned', (_folder, result) => result.versions.some((v) => v.path === 'fresh.md'));
    await writeFile(join(A.folder, 'fresh.md'), 'written while watched\n');
    const [folder, result] = await recorded;
    expect(folder.name).toBe('course');
    expect(result.versions.map((v) => [v.path, v.op])).toEqual([['fresh.md', 'add']]);
    await r.idle();
    expect(await filesUnder(remote)).toEqual([]); // manual: the scan asked for no sync

    const deviceId = (await A.session.versions()).state.batches.device;
    const synced = await r.syncNow();
    expect(synced?.uploaded.objects).toBeGreaterThan(0);
    const local = await batchesOf(A.repo, deviceId);
    expect(local.length).toBeGreaterThan(0);
    expect(await batchesOf(join(remote, 'hot'), deviceId)).toEqual(local);

    await Promise.all([r.stop(), r.stop()]);
    await r.stop();
    expect(r.watched()).toEqual([]);
    const scansBefore = heard.all('scanned').length;
    await writeSettled(join(A.folder, 'after-stop.md'), 'not watched\n');
    await r.idle();
    // The explicit scan records it: the watcher did not.
    const explicit = await A.session.exclusive(() => scan(A.session));
    expect(explicit.versions.map((v) => [v.path, v.op])).toEqual([['after-stop.md', 'add']]);
    expect(heard.all('scanned').length).toBe(scansBefore);
    expect(heard.all('scanFailed')).toEqual([]);
    expect(heard.all('watchFailed')).toEqual([]);
  });

  it('manual: request() starts no sync, syncNow() does', async () => {
    const { A, remote } = await withDisk();
    const { r, heard } = await started(A.session, { watch: false, sync: 'manual' });
    expect(r.syncState()).toEqual({ state: 'idle', remote: 'disk' });
    r.request();
    r.request(0);
    await r.idle();
    expect(await filesUnder(remote)).toEqual([]);
    expect(heard.all('syncStarting')).toEqual([]);

    const result = await r.syncNow();
    expect(result?.uploaded.objects).toBeGreaterThan(0);
    expect(existsSync(join(remote, 'hot', 'config'))).toBe(true);
    expect(heard.all('synced').map(([name]) => name)).toEqual(['disk']);
    expect(r.syncState()).toMatchObject({ state: 'idle', remote: 'disk', lastSync: expect.any(String) });
  });

  it("'off': syncNow() resolves undefined and the remote is untouched", async () => {
    const { A, remote } = await withDisk();
    const { r, heard } = await started(A.session, { watch: false, sync: 'off' });
    expect(r.syncState()).toEqual({ state: 'off' });
    r.request(0);
    expect(await r.syncNow()).toBeUndefined();
    await r.idle();
    expect(await filesUnder(remote)).toEqual([]);
    expect(heard.all('syncStarting')).toEqual([]);
    expect(heard.all('syncState')).toEqual([]);
  });

  // Automatic: the sync at start fails first (told once; its retry is far off), then syncNow's.
  it.each(['manual', 'automatic'] as const)('an unreachable remote (%s): syncNow() rejects UNAVAILABLE naming it, syncFailed is told, the state is error', async (sync) => {
    const { A, blocker } = await unreachable('broken');
    const { r, heard } = await started(A.session, { watch: false, sync, retryMs: 600_000 });
    if (sync === 'automatic') {
      const [name, message] = await heard.when('syncFailed');
      expect(name).toBe('broken');
      await r.idle();
      expect(heard.all('syncFailed').length).toBe(1);
      expect(r.syncState()).toEqual({ state: 'error', remote: 'broken', error: message });
    }

    const error = await rejection(r.syncNow());
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('UNAVAILABLE');
    expect((error as EngineError).message).toMatch(/remote "broken"/);
    const failed = heard.all('syncFailed');
    expect(failed.length).toBe(sync === 'automatic' ? 2 : 1);
    const [name, message] = failed.at(-1) as Args<'syncFailed'>;
    expect(name).toBe('broken');
    expect(message).not.toBe('');
    expect((error as EngineError).message).toContain(message);
    expect(r.syncState()).toEqual({ state: 'error', remote: 'broken', error: message });
    expect(heard.all('synced')).toEqual([]);
    expect(await readFile(blocker, 'utf8')).toBe(BLOCKER);
  });

  it('an unreachable remote while syncing automatically is tried again after the delay it names, and syncs once it can be reached', async () => {
    const { A, blocker, remote } = await unreachable('later');
    const { r, heard } = await started(A.session, { watch: false, sync: 'automatic', retryMs: 20, maxRetryMs: 40 });
    const [, , retryInMs] = await heard.when('syncFailed');
    expect(retryInMs).toBe(20);
    // The remote becomes reachable: no request comes from here, the retry alone syncs.
    await rm(blocker);
    const [name, result] = await heard.when('synced');
    expect(name).toBe('later');
    expect(result.uploaded.objects).toBeGreaterThan(0);
    expect(r.syncState().state).toBe('idle');
    expect((await filesUnder(join(remote, 'versions'))).length).toBeGreaterThan(0);
  });

  it('cancel: the signal the host gave, aborted at the first progress, stops the sync; syncNow() rejects with its reason', async () => {
    const { A, remote } = await withDisk({ 'intro.md': 'intro\n', 'notes.md': 'notes\n' });
    await writeSettled(join(A.folder, 'more.md'), 'more\n', 50_000);
    await scan(A.session); // a second batch: several groups of objects to copy
    const reason = new Error('cancelled by the test');
    let cancelFirst = true;
    const progress: string[] = [];
    const { r, heard } = await started(A.session, { watch: false, sync: 'manual' }, new Heard(() => {
      if (!cancelFirst) return {};
      cancelFirst = false;
      const controller = new AbortController();
      return {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p.name);
          controller.abort(reason);
        },
      };
    }));

    expect(await rejection(r.syncNow())).toBe(reason);
    expect(progress.length).toBeGreaterThan(0);
    expect(heard.all('syncCancelled').map(([name]) => name)).toEqual(['disk']);
    expect(heard.all('synced')).toEqual([]);
    expect(heard.all('syncFailed')).toEqual([]);
    expect(r.syncState()).toEqual({ state: 'idle', remote: 'disk' });
    expect(heard.all('syncState').map(([s]) => s.state)).toEqual(['idle', 'syncing', 'idle']); // idle once the remote is read
    const deviceId = (await A.session.versions()).state.batches.device;
    const local = await batchesOf(A.repo, deviceId);
    expect(await batchesOf(join(remote, 'hot'), deviceId)).not.toEqual(local); // stopped before the batches

    // The next sync is not cancelled, and completes what the first began.
    await r.syncNow();
    expect(await batchesOf(join(remote, 'hot'), deviceId)).toEqual(local);
    expect(r.syncState()).toMatchObject({ state: 'idle', remote: 'disk', lastSync: expect.any(String) });
  });

  it('settling at the start what an earlier sync brought: its failure is told (settleFailed), with the damaged batch (historyProblems)', async () => {
    const { A } = await unreachable('broken'); // the sync at start fails: only the settling at the start runs
    // Another device's batch came (by an earlier sync, say) and does not open.
    const damaged = 'versions/00000000000000ff-0000000001';
    await writeFile(join(A.repo, damaged), 'not a sealed batch\n');
    const { r, heard } = await started(A.session, { watch: false, sync: 'automatic', retryMs: 600_000 });
    await r.idle(); // the settling at the start is done
    const failed = heard.all('settleFailed');
    expect(failed.length).toBe(1);
    expect((failed[0]?.[0] as Error).message).toContain(damaged);
    expect(heard.all('historyProblems').flatMap(([problems]) => problems.map((p) => [p.object, p.kind]))).toEqual([[damaged, 'damaged']]);
    expect(heard.all('settled')).toEqual([]);
  });

  it('the remote option picks a remote by name among two (else the first; an unknown name syncs with none)', async () => {
    const A = await device('A', { 'intro.md': 'intro\n' });
    const first = join(dir.path, 'first');
    const second = join(dir.path, 'second');
    await addRemote(A.session, folderRemote('first', first));
    await addRemote(A.session, folderRemote('second', second));

    const { r: named, heard } = await started(A.session, { watch: false, sync: 'manual', remote: 'second' });
    expect(named.syncState()).toEqual({ state: 'idle', remote: 'second' });
    await named.syncNow();
    expect(heard.all('synced').map(([name]) => name)).toEqual(['second']);
    expect(existsSync(join(second, 'hot', 'config'))).toBe(true);
    expect(await filesUnder(first)).toEqual([]);
    await named.stop();

    const { r: byDefault, heard: heardDefault } = await started(A.session, { watch: false, sync: 'manual' });
    expect(byDefault.syncState()).toEqual({ state: 'idle', remote: 'first' });
    await byDefault.syncNow();
    expect(heardDefault.all('synced').map(([name]) => name)).toEqual(['first']);
    expect(existsSync(join(first, 'hot', 'config'))).toBe(true);
    await byDefault.stop();

    const { r: unknown } = await started(A.session, { watch: false, sync: 'manual', remote: 'third' });
    expect(unknown.syncState()).toEqual({ state: 'off' });
    expect(await unknown.syncNow()).toBeUndefined();
  });
});
