// Sync between a local repository and a remote (a folder here; S3 in
// s3-sync.test.ts): everything reaches the remote, a new device cloned from
// it restores byte for byte, two devices converge, and a sync that dies
// midway continues on the next run with both sides passing check.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/maintenance/check';
import { initLocalStoreAt, initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { Repository } from '../../src/engine/repo/repository';
import { backup } from '../../src/engine/snapshot/archiver';
import { restore } from '../../src/engine/snapshot/restorer';
import { listSnapshots } from '../../src/engine/snapshot/snapshots';
import { UnavailableError, type Backend, type PutOptions } from '../../src/engine/storage/backend';
import { LocalBackend } from '../../src/engine/storage/local';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { log } from '../../src/engine/ops/history';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import { sessionOf } from './sessions';
import { fastKdf, MARKER, seededBytes, snapshotOfDisk, tempDirPerTest, writeSettled } from '../helpers';

const PASS = 'sync test passphrase';
const dir = tempDirPerTest('strata-sync-');

async function names(backend: Backend): Promise<string[]> {
  const out: string[] = [];
  for (const prefix of ['keys/', 'data/', 'index/', 'snapshots/', 'versions/']) for await (const i of backend.list(prefix)) out.push(i.name);
  return out.sort();
}

/** Fails every put after the first `allowed` ones (a sync killed midway). */
class DyingBackend extends LocalBackend {
  puts = 0;
  constructor(root: string, private readonly allowed: number) {
    super(root);
  }
  override async put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    if (++this.puts > this.allowed) throw new UnavailableError('connection lost (injected)');
    return super.put(name, data, options);
  }
}

describe('sync with a folder remote', () => {
  it('replicates everything; a clone restores byte for byte; nothing readable reaches the remote', async () => {
    const source = join(dir.path, 'course');
    await writeSettled(join(source, 'lesson.md'), `# Lesson\n${MARKER}\n`);
    await writeSettled(join(source, 'clip.bin'), seededBytes(3, 400_000));
    const repoA = join(dir.path, 'A');
    const repo = await initRepositoryAt(repoA, PASS, { kdf: fastKdf() });
    await backup(repo, { paths: [source] });
    const session = await sessionOf(repo, repoA);
    await addFolder(session, source);
    await scan(session);

    const remote = await LocalBackend.create(join(dir.path, 'remote'));
    const first = await syncRepositories(repo.backend, remote);
    expect(first.uploaded.objects).toBeGreaterThan(5);
    expect(await names(remote)).toEqual(await names(repo.backend));
    expect((await syncRepositories(repo.backend, remote)).uploaded.objects).toBe(0);
    // The remote is a sound repository in its own right.
    expect((await check(await Repository.open(remote, PASS), { readData: true })).problems).toEqual([]);
    // No remote file holds the marker in the clear.
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    await walk(join(dir.path, 'remote'));
    for (const f of files) expect((await readFile(f)).includes(Buffer.from(MARKER))).toBe(false);

    // A new device from the remote alone.
    const repoB = join(dir.path, 'B');
    const localB = await initLocalStoreAt(repoB);
    const clone = await syncRepositories(localB, remote, { upload: false });
    expect(clone.downloaded.objects).toBe(first.uploaded.objects);
    const cloned = await openRepositoryAt(repoB, PASS);
    const [latest] = (await listSnapshots(cloned)).slice(-1);
    const target = join(dir.path, 'restored');
    await restore(cloned, latest!.snapshot, { target });
    expect(await snapshotOfDisk(join(target, 'course'))).toEqual(await snapshotOfDisk(source));
    // Its history too: the folder, once placed on this machine, shows the first device's versions.
    const sessionB = await sessionOf(cloned, repoB);
    const placeB = join(dir.path, 'course-on-B');
    await mkdir(placeB);
    await addFolder(sessionB, placeB, 'course');
    expect((await log(sessionB, join(placeB, 'lesson.md'))).map((e) => e.record.device)).toEqual([(await session.versions()).state.batches.device]);
    await restoreVersions(sessionB, placeB, { at: new Date() });
    expect(await readFile(join(placeB, 'lesson.md'), 'utf8')).toBe(`# Lesson\n${MARKER}\n`);
  });

  it('two devices converge through one remote', async () => {
    const remote = await LocalBackend.create(join(dir.path, 'remote'));
    const a = await initRepositoryAt(join(dir.path, 'A'), PASS, { kdf: fastKdf() });
    const folderA = join(dir.path, 'on-A');
    await writeSettled(join(folderA, 'a.md'), 'from A\n');
    const sessionA = await sessionOf(a, join(dir.path, 'A'));
    await addFolder(sessionA, folderA, 'course');
    await scan(sessionA);
    await syncRepositories(a.backend, remote);
    const localB = await initLocalStoreAt(join(dir.path, 'B'));
    await syncRepositories(localB, remote);
    const b = await openRepositoryAt(join(dir.path, 'B'), PASS);
    const sessionB = await sessionOf(b, join(dir.path, 'B'));
    const folderB = join(dir.path, 'on-B');
    await mkdir(folderB);
    await addFolder(sessionB, folderB, 'course');
    await restoreVersions(sessionB, folderB, { at: new Date() });
    await writeSettled(join(folderB, 'b.md'), 'from B\n');
    await scan(sessionB);
    await writeSettled(join(folderA, 'c.md'), 'also from A\n');
    await scan(sessionA);
    // A, B, A: then all three hold the same objects.
    await syncRepositories(a.backend, remote);
    await syncRepositories(b.backend, remote);
    await syncRepositories(a.backend, remote);
    expect(await names(a.backend)).toEqual(await names(remote));
    expect(await names(b.backend)).toEqual(await names(remote));
    const merged = await sessionOf(await openRepositoryAt(join(dir.path, 'A'), PASS), join(dir.path, 'A'));
    const deviceA = (await sessionA.versions()).state.batches.device;
    expect((await log(merged, folderA)).map((e) => `${e.record.path} ${e.record.device === deviceA ? 'A' : 'B'}`).sort()).toEqual(['a.md A', 'b.md B', 'c.md A']);
    // B put a.md in place from history: same content, so no version of its own.
    for (const r of [a, b]) expect((await check(await Repository.open(r.backend, PASS))).problems).toEqual([]);
  });

  it('a sync that dies midway continues on the next run, and both sides pass check throughout', async () => {
    const source = join(dir.path, 'course');
    for (let i = 0; i < 6; i++) await writeSettled(join(source, `clip-${i}.bin`), seededBytes(10 + i, 200_000));
    const repo = await initRepositoryAt(join(dir.path, 'A'), PASS, { kdf: fastKdf() });
    await backup(repo, { paths: [source] });
    const remoteDir = join(dir.path, 'remote');
    let attempts = 0;
    for (let allowed = 1; ; allowed += 2) {
      attempts++;
      const dying = new DyingBackend(remoteDir, allowed);
      try {
        await syncRepositories(repo.backend, dying);
        break;
      } catch (error) {
        expect(String(error)).toMatch(/connection lost/);
        // Whatever reached the remote is a valid repository (or not one yet: no config).
        const partial = new LocalBackend(remoteDir);
        const hasConfig = await partial.head('config').then(() => true, () => false);
        if (hasConfig) {
          const result = await check(await Repository.open(partial, PASS));
          expect(result.problems).toEqual([]);
        }
      }
    }
    expect(attempts).toBeGreaterThan(1);
    const remote = new LocalBackend(remoteDir);
    expect(await names(remote)).toEqual(await names(repo.backend));
    expect((await check(await Repository.open(remote, PASS), { readData: true })).problems).toEqual([]);
  });

  it('refuses a remote that holds another repository', async () => {
    const remote = await LocalBackend.create(join(dir.path, 'remote'));
    const a = await initRepositoryAt(join(dir.path, 'A'), PASS, { kdf: fastKdf() });
    const other = await initRepositoryAt(join(dir.path, 'other'), PASS, { kdf: fastKdf() });
    await syncRepositories(other.backend, remote);
    await expect(syncRepositories(a.backend, remote)).rejects.toThrow(/holds a different repository/);
  });
});

describe('sync through faults', () => {
  it('completes through transient failures and puts that land but report failure, corrupting nothing', async () => {
    const { FaultInjectingBackend } = await import('../../src/engine/storage/faults');
    const { RetryingBackend } = await import('../../src/engine/storage/retry');
    const source = join(dir.path, 'course');
    for (let i = 0; i < 4; i++) await writeSettled(join(source, `clip-${i}.bin`), seededBytes(20 + i, 150_000));
    await writeSettled(join(source, 'notes.md'), 'notes\n');
    const repo = await initRepositoryAt(join(dir.path, 'A'), PASS, { kdf: fastKdf() });
    await backup(repo, { paths: [source] });
    const remoteDir = join(dir.path, 'remote');
    const faulty = new FaultInjectingBackend(await LocalBackend.create(remoteDir), { seed: 7, failureRate: 0.3, failAfterPut: true });
    const remote = new RetryingBackend(faulty, { attempts: 15, sleep: async () => {} });
    await syncRepositories(repo.backend, remote);
    expect(faulty.faults.failures).toBeGreaterThan(0);
    const clean = new LocalBackend(remoteDir);
    expect(await names(clean)).toEqual(await names(repo.backend));
    expect((await check(await Repository.open(clean, PASS), { readData: true })).problems).toEqual([]);
  });
});

describe('background sync', () => {
  it('coalesces requests, and after the remote fails keeps trying until it syncs', async () => {
    const { BackgroundSync } = await import('../../src/engine/sync/background-sync');
    const repo = await initRepositoryAt(join(dir.path, 'A'), PASS, { kdf: fastKdf() });
    const remoteDir = join(dir.path, 'remote');
    let down = 2; // the first two syncs find the remote unreachable
    class Flaky extends LocalBackend {
      override async head(name: string) {
        if (down > 0) throw new UnavailableError('remote down (injected)');
        return super.head(name);
      }
    }
    const remote = new Flaky(remoteDir);
    await LocalBackend.create(remoteDir);
    const synced: number[] = [];
    const errors: string[] = [];
    const sync = new BackgroundSync(repo.backend, remote, {
      delayMs: 10, retryMs: 20,
      onSynced: (r) => synced.push(r.uploaded.objects),
      onError: (message) => {
        errors.push(message);
        down--;
      },
    });
    for (let i = 0; i < 5; i++) sync.request();
    const deadline = Date.now() + 10_000;
    while (synced.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await sync.stop();
    expect(errors.length).toBe(2);
    expect(errors[0]).toMatch(/remote down/);
    expect(synced.length).toBe(1); // five requests, one sync once the remote came back
    expect(synced[0]).toBeGreaterThan(0);
    expect(await names(new LocalBackend(remoteDir))).toEqual(await names(repo.backend));
  });

  it('runs the work after each sync (tier migration) and honours the sync options: progress, objects not to download', async () => {
    const { BackgroundSync } = await import('../../src/engine/sync/background-sync');
    const remote = await LocalBackend.create(join(dir.path, 'remote'));
    const other = await initRepositoryAt(join(dir.path, 'other'), PASS, { kdf: fastKdf() });
    await syncRepositories(other.backend, remote);
    const local = await initLocalStoreAt(join(dir.path, 'A'));
    const skipped = (await names(remote)).filter((n) => n.startsWith('keys/'));
    expect(skipped.length).toBeGreaterThan(0);
    const events: string[] = [];
    const progress: number[] = [];
    const sync = new BackgroundSync(local, remote, {
      delayMs: 10,
      sync: { skipDownload: (n) => skipped.includes(n), onProgress: (p) => progress.push(p.done) },
      afterSync: async () => {
        events.push('after');
      },
      onSynced: () => events.push('synced'),
    });
    sync.request();
    await new Promise((r) => setTimeout(r, 50));
    await sync.idle();
    sync.request();
    await new Promise((r) => setTimeout(r, 50));
    await sync.idle();
    await sync.stop();
    expect(events).toEqual(['after', 'synced', 'after', 'synced']);
    expect(progress.length).toBeGreaterThan(0);
    const here = await names(local);
    for (const n of skipped) expect(here).not.toContain(n);
    expect(here.length).toBe((await names(remote)).length - skipped.length);
  });
});
