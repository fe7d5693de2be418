// A folder adopted by name from another device's history (issue 10, point 1):
// files missing here are not here yet, never deletions, until the user
// confirms the folder is whole or a full restore of it ran; settling after a
// sync brings edits into the files it has and leaves the others alone. And,
// independently: a deletion from another device never removes a file whose
// content here is not the version recorded; it is kept, and said so.
import { mkdir, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initLocalStoreAt, initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { LocalBackend } from '../../src/engine/storage/local';
import { syncRepositories } from '../../src/engine/sync/replicate';
import type { ReconcileResult } from '../../src/engine/versions/merge';
import { removeIfHolds } from '../../src/engine/versions/put-back';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import { log } from '../../src/engine/ops/history';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { author } from '../../src/engine/ops/author';
import type { Session } from '../../src/engine/ops/session';
import { settle } from '../../src/engine/ops/settle';
import { sessionOf } from './sessions';
import { sha256Hex } from '../../src/engine/crypto/sha256';
import { fastKdf, tempDir, writeSettled } from '../helpers';

const PASS = 'adopted folder test passphrase';
const FILES = ['a.md', 'b.md', 'c.md', 'd.md', 'e.md'];
const text = (name: string, extra = ''): string => `# ${name}\n${extra}`;
let dir: { path: string; cleanup: () => Promise<void> };
let remote: LocalBackend;

beforeEach(async () => {
  dir = await tempDir('strata-adopted-');
  remote = await LocalBackend.create(join(dir.path, 'remote'));
});
afterEach(async () => {
  await dir.cleanup();
});

interface Device {
  session: Session;
  folder: string;
}

/** Device A tracking FILES, synced; device B from the remote alone, adopting the folder by name with only `onB` of the files. */
async function adopted(onB: string[]): Promise<[Device, Device]> {
  const repoA = join(dir.path, 'A');
  const folderA = join(dir.path, 'on-A');
  for (const name of FILES) await writeSettled(join(folderA, name), text(name));
  const sessionA = await sessionOf(await initRepositoryAt(repoA, PASS, { kdf: fastKdf() }), repoA);
  await addFolder(sessionA, folderA, 'course');
  await scan(sessionA);
  await syncRepositories(sessionA.repo.backend, remote);
  const repoB = join(dir.path, 'B');
  await syncRepositories(await initLocalStoreAt(repoB), remote);
  const sessionB = await sessionOf(await openRepositoryAt(repoB, PASS), repoB);
  const folderB = join(dir.path, 'on-B');
  await mkdir(folderB);
  for (const name of onB) await writeSettled(join(folderB, name), text(name));
  const folder = await addFolder(sessionB, folderB, 'course');
  expect(folder.observed).toBe(false);
  return [{ session: sessionA, folder: folderA }, { session: sessionB, folder: folderB }];
}

async function sync(device: Device, settleMs?: number): Promise<ReconcileResult> {
  await syncRepositories(device.session.repo.backend, remote);
  const settled = await settle(device.session, settleMs !== undefined ? { settleMs } : {});
  await syncRepositories(device.session.repo.backend, remote);
  return settled;
}

describe('a folder adopted from another device', () => {
  it('records no deletion for files not here, scan after scan, and settles edits only into the files it has', async () => {
    const [A, B] = await adopted(['a.md', 'b.md']);
    const scans = [await scan(B.session), await scan(B.session), await scan(B.session)];
    expect(scans.map((result) => result.versions.map((v) => `${v.op} ${v.path}`))).toEqual([[], [], []]);
    for (const result of scans) expect(result.notHere).toEqual(['course/c.md', 'course/d.md', 'course/e.md']);
    await writeSettled(join(A.folder, 'a.md'), text('a.md', 'edited on A\n'), 30_000);
    await writeSettled(join(A.folder, 'c.md'), text('c.md', 'edited on A\n'), 30_000);
    await scan(A.session);
    await sync(A);
    const atB = await sync(B);
    expect(atB.written).toEqual(['course/a.md']);
    expect(atB.removed).toEqual([]);
    expect((await readdir(B.folder)).sort()).toEqual(['a.md', 'b.md']);
    expect(await readFile(join(B.folder, 'a.md'), 'utf8')).toBe(text('a.md', 'edited on A\n'));
    // A file B moves is recorded as a new file (its old name is not taken as deleted either, until confirmed).
    await rename(join(B.folder, 'b.md'), join(B.folder, 'moved.md'));
    expect((await scan(B.session)).versions.map((v) => `${v.op} ${v.path}`)).toEqual(['add moved.md']);
    await sync(B);
    await sync(A);
    expect((await readdir(A.folder)).sort()).toEqual([...FILES, 'moved.md']);
  });

  it('after a full restore, the folder is whole: what goes missing from then on is deleted', async () => {
    const [, B] = await adopted(['a.md']);
    const restored = await restoreVersions(B.session, B.folder, { at: new Date() });
    expect(restored.written).toEqual(['b.md', 'c.md', 'd.md', 'e.md']);
    expect((await B.session.versions()).state.folders.list()[0]?.observed).toBe(true);
    await rm(join(B.folder, 'e.md'));
    const scanned = await scan(B.session);
    expect(scanned.versions.map((v) => `${v.op} ${v.path}`)).toEqual(['delete e.md']);
    expect(scanned.notHere).toEqual([]);
  });

  it('records the deletions once confirmed', async () => {
    const [A, B] = await adopted(['a.md', 'b.md']);
    expect((await scan(B.session, [], { confirmDeletions: true })).versions.map((v) => `${v.op} ${v.path}`)).toEqual(['delete c.md', 'delete d.md', 'delete e.md']);
    await sync(B);
    const atA = await sync(A);
    expect(atA.removed).toEqual(['course/c.md', 'course/d.md', 'course/e.md']);
  });
});

describe('a deletion from another device', () => {
  it('keeps a file changed here since it was recorded, says so, and the change outlives the deletion', async () => {
    const [A, B] = await adopted([]);
    await restoreVersions(B.session, B.folder, { at: new Date() });
    await sync(B);
    await rm(join(A.folder, 'b.md'));
    expect((await scan(A.session)).versions.map((v) => v.op)).toEqual(['delete']);
    await sync(A);
    // Saved on B just now: a background pass (a quiet time) leaves it unrecorded.
    await writeFile(join(B.folder, 'b.md'), text('b.md', 'unsaved work on B\n'));
    const atB = await sync(B, 3_600_000);
    expect(atB.kept).toEqual(['course/b.md']);
    expect(atB.removed).toEqual([]);
    expect(await readFile(join(B.folder, 'b.md'), 'utf8')).toBe(text('b.md', 'unsaved work on B\n'));
    // Recorded by the next scan, it follows what B had: it wins over the deletion, on both devices.
    const old = (Date.now() - 30_000) / 1000;
    await utimes(join(B.folder, 'b.md'), old, old);
    await scan(B.session);
    const settled = await sync(B);
    expect(settled.versions.map((v) => `${v.op} ${v.path}`)).toEqual(['merge b.md']);
    await sync(A);
    expect(await readFile(join(A.folder, 'b.md'), 'utf8')).toBe(text('b.md', 'unsaved work on B\n'));
  });

  it('removeIfHolds removes a file only while it holds the content given', async () => {
    const root = join(dir.path, 'folder');
    await writeSettled(join(root, 'x.md'), 'recorded\n');
    expect(await removeIfHolds(root, 'x.md', sha256Hex(Buffer.from('something else\n')))).toBe('kept');
    expect(await readFile(join(root, 'x.md'), 'utf8')).toBe('recorded\n');
    expect(await removeIfHolds(root, 'x.md', sha256Hex(Buffer.from('recorded\n')))).toBe('removed');
    expect(await readdir(root)).toEqual([]);
    expect(await removeIfHolds(root, 'x.md', sha256Hex(Buffer.from('recorded\n')))).toBe('gone');
    await mkdir(join(root, 'sub', 'x.md'), { recursive: true });
    expect(await removeIfHolds(root, 'sub/x.md', sha256Hex(Buffer.from('recorded\n')))).toBe('kept');
  });
});

// Device B adopts the course with an older copy of some files (an export from
// last month): a copy whose content is an earlier version of its file is
// behind, not a new edit. It records nothing (so nothing from it overwrites
// the newer file on A), and settling puts the current version in place on B
// (its content is a known version: nothing is lost). A file whose content is
// no recorded version is an edit, recorded as before.
describe('a folder adopted with older copies of its files', () => {
  const v = (name: string, n: number): string => `# ${name}\nversion ${n}\n`;
  const pic = (n: number): Uint8Array => Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + n * 31) % 256);

  /** A: a.md, pic.bin and c.md at version 3, b.md at version 1, old.md renamed to new.md, gone.md deleted; B: a clone, the course folder not made yet. */
  async function threeVersionsOnA(): Promise<{ A: Device; sessionB: Session; folderB: string }> {
    const repoA = join(dir.path, 'A');
    const folderA = join(dir.path, 'on-A');
    const write = async (n: number): Promise<void> => {
      const age = 600_000 - n * 60_000; // each version a minute later
      for (const name of ['a.md', 'c.md']) await writeSettled(join(folderA, name), v(name, n), age);
      await writeSettled(join(folderA, 'pic.bin'), pic(n), age);
    };
    await write(1);
    await writeSettled(join(folderA, 'b.md'), v('b.md', 1));
    await writeSettled(join(folderA, 'old.md'), v('old.md', 1));
    await writeSettled(join(folderA, 'gone.md'), v('gone.md', 1));
    const sessionA = await sessionOf(await initRepositoryAt(repoA, PASS, { kdf: fastKdf() }), repoA);
    await addFolder(sessionA, folderA, 'course');
    await scan(sessionA);
    await write(2);
    await rename(join(folderA, 'old.md'), join(folderA, 'new.md'));
    await rm(join(folderA, 'gone.md'));
    expect((await scan(sessionA)).versions.map((r) => `${r.op} ${r.path}`)).toEqual(['edit a.md', 'edit c.md', 'delete gone.md', 'rename new.md', 'edit pic.bin']);
    await write(3);
    await scan(sessionA);
    await syncRepositories(sessionA.repo.backend, remote);
    const repoB = join(dir.path, 'B');
    await syncRepositories(await initLocalStoreAt(repoB), remote);
    return { A: { session: sessionA, folder: folderA }, sessionB: await sessionOf(await openRepositoryAt(repoB, PASS), repoB), folderB: join(dir.path, 'on-B') };
  }

  it('records no edit for a copy of an earlier version: A keeps version 3, and B gets it', async () => {
    const { A, sessionB, folderB } = await threeVersionsOnA();
    // B's folder: version 1 of a.md and pic.bin (last month's export), b.md as it is, and c.md edited on B.
    await writeSettled(join(folderB, 'a.md'), v('a.md', 1));
    await writeSettled(join(folderB, 'pic.bin'), pic(1));
    await writeSettled(join(folderB, 'b.md'), v('b.md', 1));
    await writeSettled(join(folderB, 'c.md'), `${v('c.md', 1)}written on B\n`);
    await addFolder(sessionB, folderB, 'course');
    const B = { session: sessionB, folder: folderB };
    const scanned = await scan(B.session);
    expect(scanned.versions.map((r) => `${r.op} ${r.path}`)).toEqual(['edit c.md']);
    expect(scanned.behind).toEqual([
      { path: 'course/a.md', version: 1, current: 3 },
      { path: 'course/pic.bin', version: 1, current: 3 },
    ]);
    expect((await scan(B.session)).versions).toEqual([]); // and not on the next scan either
    const atB = await sync(B);
    expect(atB.written.sort()).toEqual(['course/a.md', 'course/pic.bin']);
    expect(atB.caughtUp).toEqual([{ path: 'course/a.md', was: 1, now: 3 }, { path: 'course/pic.bin', was: 1, now: 3 }]);
    expect(atB.versions).toEqual([]);
    expect(await readFile(join(B.folder, 'a.md'), 'utf8')).toBe(v('a.md', 3));
    expect(new Uint8Array(await readFile(join(B.folder, 'pic.bin')))).toEqual(pic(3));
    const atA = await sync(A);
    // A's current files are still version 3; only B's real edit arrived.
    expect(await readFile(join(A.folder, 'a.md'), 'utf8')).toBe(v('a.md', 3));
    expect(new Uint8Array(await readFile(join(A.folder, 'pic.bin')))).toEqual(pic(3));
    expect(atA.written).toEqual(['course/c.md']);
    expect(await readFile(join(A.folder, 'c.md'), 'utf8')).toBe(`${v('c.md', 1)}written on B\n`);
    expect((await log(A.session, join(A.folder, 'a.md'))).map((e) => e.record.n)).toEqual([3, 2, 1]);
    const authorA = await author(A.session);
    expect((await log(A.session, join(A.folder, 'c.md'))).map((e) => `${e.record.n} ${e.record.op} ${e.record.author === authorA ? 'A' : 'B'}`)[0]).toMatch(/^4 edit/);
    // Once the current version is in place here, B's copy of an old version is the user's choice: an edit.
    await writeSettled(join(B.folder, 'a.md'), v('a.md', 1), 10_000);
    expect((await scan(B.session)).versions.map((r) => `${r.op} ${r.path} ${r.summary}`)).toEqual([expect.stringMatching(/^edit a\.md/)]);
  });

  it('puts a renamed file at its new name and removes a deleted one, when the copy here is an earlier version', async () => {
    const { A, sessionB, folderB } = await threeVersionsOnA();
    await writeSettled(join(folderB, 'old.md'), v('old.md', 1));
    await writeSettled(join(folderB, 'gone.md'), v('gone.md', 1));
    await addFolder(sessionB, folderB, 'course');
    const B = { session: sessionB, folder: folderB };
    const scanned = await scan(B.session);
    expect(scanned.versions).toEqual([]);
    expect(scanned.behind.map((b) => b.path)).toEqual(['course/gone.md', 'course/old.md']);
    expect(scanned.notHere).toEqual(['course/a.md', 'course/b.md', 'course/c.md', 'course/pic.bin']);
    const atB = await sync(B);
    expect(atB.written).toEqual(['course/new.md']);
    expect(atB.removed.sort()).toEqual(['course/gone.md', 'course/old.md']);
    expect((await readdir(B.folder)).sort()).toEqual(['new.md']);
    await sync(A);
    expect((await readdir(A.folder)).sort()).toEqual(['a.md', 'b.md', 'c.md', 'new.md', 'pic.bin']);
  });

  it('an edit here of a copy that was behind is concurrent with the current version: text edits merge', async () => {
    const { A, sessionB, folderB } = await threeVersionsOnA();
    await writeSettled(join(folderB, 'a.md'), v('a.md', 1));
    await addFolder(sessionB, folderB, 'course');
    const B = { session: sessionB, folder: folderB };
    expect((await scan(B.session)).behind.map((b) => b.path)).toEqual(['course/a.md']);
    await writeSettled(join(folderB, 'a.md'), `intro from B\n${v('a.md', 1)}`, 10_000);
    const edit = await scan(B.session);
    expect(edit.versions.map((r) => `${r.op} ${r.path}`)).toEqual(['edit a.md']);
    const atB = await sync(B);
    expect(atB.versions.map((r) => `${r.op} ${r.path}`)).toEqual(['merge a.md']);
    expect(await readFile(join(B.folder, 'a.md'), 'utf8')).toBe(`intro from B\n${v('a.md', 3)}`);
    await sync(A);
    expect(await readFile(join(A.folder, 'a.md'), 'utf8')).toBe(`intro from B\n${v('a.md', 3)}`);
  });
});
