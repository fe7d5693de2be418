// Two devices editing the same course folder offline, then syncing through
// one remote (a folder): concurrent text edits merge through Yjs on both
// devices (no conflict copy), concurrent binary edits are kept both and
// reported as a conflict until the user picks one, numbering agrees on both
// devices, and syncing again settles (no merge loop).
import { mkdir, readdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { check } from '../../src/engine/maintenance/check';
import { initLocalStoreAt, initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { Repository } from '../../src/engine/repo/repository';
import { LocalBackend } from '../../src/engine/storage/local';
import { syncRepositories } from '../../src/engine/sync/replicate';
import type { ReconcileResult } from '../../src/engine/versions/merge';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { content, log, version } from '../../src/engine/ops/history';
import { restoreVersions, rollback } from '../../src/engine/ops/restore-versions';
import type { Session } from '../../src/engine/ops/session';
import { conflicts, settle } from '../../src/engine/ops/settle';
import { sessionOf } from './sessions';
import { fastKdf, seededBytes, tempDir, writeSettled } from '../helpers';

const PASS = 'merge test passphrase';
let dir: { path: string; cleanup: () => Promise<void> };
let remote: LocalBackend;
let age = 600_000;
beforeEach(async () => {
  dir = await tempDir('strata-merge-');
  remote = await LocalBackend.create(join(dir.path, 'remote'));
});
afterEach(async () => {
  await dir.cleanup();
});

/** Writes a file with a settled mtime, a different one each time (so every write is seen as a change). */
/** Each file written is a second younger than the one before (a scan orders renames by time). */
const put = (path: string, content: string | Uint8Array): Promise<void> => writeSettled(path, content, (age -= 1000));

interface Device {
  session: Session;
  folder: string;
  name: string;
}

/** Device A with a folder of `files`, synced; device B set up from the remote alone, the folder put in place there. */
async function twoDevices(files: Record<string, string | Uint8Array>): Promise<[Device, Device]> {
  const repoA = join(dir.path, 'A');
  const a = await initRepositoryAt(repoA, PASS, { kdf: fastKdf() });
  const folderA = join(dir.path, 'on-A');
  for (const [rel, content] of Object.entries(files)) await put(join(folderA, rel), content);
  const sessionA = await sessionOf(a, repoA);
  await addFolder(sessionA, folderA, 'course');
  await scan(sessionA);
  await syncRepositories(a.backend, remote);
  const repoB = join(dir.path, 'B');
  await syncRepositories(await initLocalStoreAt(repoB), remote);
  const sessionB = await sessionOf(await openRepositoryAt(repoB, PASS), repoB);
  const folderB = join(dir.path, 'on-B');
  await mkdir(folderB);
  await addFolder(sessionB, folderB, 'course');
  await restoreVersions(sessionB, folderB, { at: new Date() });
  await scan(sessionB);
  return [{ session: sessionA, folder: folderA, name: 'A' }, { session: sessionB, folder: folderB, name: 'B' }];
}

/** What `strata sync` does: sync, settle other devices' versions here, send up what that recorded. */
async function sync(device: Device): Promise<ReconcileResult> {
  await syncRepositories(device.session.repo.backend, remote);
  const settled = await settle(device.session);
  if (settled.versions.length > 0) await syncRepositories(device.session.repo.backend, remote, { download: false });
  return settled;
}

/** The numbered history of the folder as a device shows it. */
async function numbered(device: Device): Promise<string[]> {
  return (await log(device.session, device.folder)).map((e) => `${e.record.path}@${e.record.n} ${e.record.op} ${e.record.device} ${e.record.sha256.slice(0, 12)}`).sort();
}

async function passesCheck(device: Device): Promise<void> {
  expect((await check(await Repository.open(device.session.repo.backend, PASS))).problems).toEqual([]);
}

const LESSON = ['# Waves', '', 'Sound is a wave.', '', '## Examples', '', '- a guitar string', '- a drum', '', '## Summary', '', 'Waves carry energy.', ''].join('\n');

describe('two devices, one remote', () => {
  it('merges concurrent edits of a text file on both devices: both edits survive, same numbered history, settles', async () => {
    const [A, B] = await twoDevices({ 'lesson.md': LESSON });
    const topEdit = LESSON.replace('Sound is a wave.', 'Sound is a longitudinal wave.\nLight is not.');
    const bottomEdit = LESSON.replace('Waves carry energy.', 'Waves carry energy, not matter.\nSee chapter 3.');
    await put(join(A.folder, 'lesson.md'), topEdit); // offline on A: the top
    await put(join(B.folder, 'lesson.md'), bottomEdit); // offline on B: the bottom
    expect((await scan(A.session)).versions.map((v) => v.op)).toEqual(['edit']);
    expect((await scan(B.session)).versions.map((v) => v.op)).toEqual(['edit']);

    await sync(A);
    const atB = await sync(B);
    expect(atB.versions.map((v) => [v.path, v.op])).toEqual([['lesson.md', 'merge']]);
    expect(atB.versions[0]?.summary).toMatch(/^merged concurrent edits by .*: \+2 -1 lines here$/);
    expect(atB.conflicts).toEqual([]);
    const atA = await sync(A);
    expect(atA.versions).toEqual([]); // B's merge already follows both: A only puts it in place
    expect(atA.written).toEqual(['course/lesson.md']);

    const merged = LESSON.replace('Sound is a wave.', 'Sound is a longitudinal wave.\nLight is not.').replace('Waves carry energy.', 'Waves carry energy, not matter.\nSee chapter 3.');
    for (const d of [A, B]) {
      expect(await readFile(join(d.folder, 'lesson.md'), 'utf8')).toBe(merged);
      expect(await readdir(d.folder)).toEqual(['lesson.md']); // no conflict copy
      expect(await conflicts(d.session)).toEqual([]);
    }
    expect(await numbered(A)).toEqual(await numbered(B));
    expect((await numbered(A)).length).toBe(4); // added, A's edit, B's edit, B's merge

    // Syncing again settles: nothing new anywhere.
    for (const d of [B, A, B]) expect((await sync(d)).versions).toEqual([]);
    for (const d of [A, B]) expect((await scan(d.session)).versions).toEqual([]);
    expect(await numbered(A)).toEqual(await numbered(B));
    expect((await numbered(A)).length).toBe(4);
    for (const d of [A, B]) await passesCheck(d);
    // Every version reads back, and the merge's content is the file's.
    const head = await version(A.session, join(A.folder, 'lesson.md'));
    expect(head.op).toBe('merge');
    const pieces: Uint8Array[] = [];
    for await (const piece of content(A.session, head)) pieces.push(piece);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(merged);
  });

  it('two devices merging the same edits independently converge on one state, without merging again', async () => {
    const [A, B] = await twoDevices({ 'notes.md': LESSON });
    await put(join(A.folder, 'notes.md'), `Intro from A.\n${LESSON}`);
    await put(join(B.folder, 'notes.md'), `${LESSON}Outro from B.\n`);
    await scan(A.session);
    await scan(B.session);
    // Both have both edits before either settles.
    await syncRepositories(A.session.repo.backend, remote);
    await syncRepositories(B.session.repo.backend, remote);
    await syncRepositories(A.session.repo.backend, remote);
    const [settledA, settledB] = [await settle(A.session), await settle(B.session)];
    expect(settledA.versions.map((v) => v.op)).toEqual(['merge']);
    expect(settledB.versions.map((v) => v.op)).toEqual(['merge']);
    expect(settledA.versions[0]?.sha256).toBe(settledB.versions[0]?.sha256);
    for (const d of [A, B, A, B]) expect((await sync(d)).versions).toEqual([]); // two merges, one state: no merge of merges
    for (const d of [A, B]) expect(await readFile(join(d.folder, 'notes.md'), 'utf8')).toBe(`Intro from A.\n${LESSON}Outro from B.\n`);
    expect(await numbered(A)).toEqual(await numbered(B));
    // The next edit on either device follows both merges and the history is one line again.
    await put(join(B.folder, 'notes.md'), `Intro from A.\n${LESSON}Outro from B, revised.\n`);
    await scan(B.session);
    await sync(B);
    expect((await sync(A)).written).toEqual(['course/notes.md']);
    expect(await readFile(join(A.folder, 'notes.md'), 'utf8')).toBe(`Intro from A.\n${LESSON}Outro from B, revised.\n`);
    const file = (await A.session.versions()).history.file((await version(A.session, join(A.folder, 'notes.md'))).file);
    expect(file?.heads.length).toBe(1);
  });

  it('keeps both versions of a binary changed on both devices, reports the conflict on both, and a rollback settles it everywhere', async () => {
    const [A, B] = await twoDevices({ 'diagram.bin': seededBytes(1, 70_000), 'readme.md': 'read me\n' });
    await put(join(A.folder, 'diagram.bin'), seededBytes(2, 70_000));
    await put(join(B.folder, 'diagram.bin'), seededBytes(3, 71_000));
    await scan(A.session);
    await scan(B.session);
    await sync(A);
    const atB = await sync(B);
    const atA = await sync(A);
    for (const [d, settled, mine] of [[A, atA, 2], [B, atB, 3]] as const) {
      expect(settled.versions).toEqual([]);
      expect(settled.conflicts.map((c) => [c.kind, c.path, c.versions.length])).toEqual([['content', 'diagram.bin', 2]]);
      // The disk keeps this device's version; both stay in history.
      expect(Buffer.compare(await readFile(join(d.folder, 'diagram.bin')), Buffer.from(seededBytes(mine, mine === 2 ? 70_000 : 71_000)))).toBe(0);
      expect(await readdir(d.folder)).toEqual(['diagram.bin', 'readme.md']);
    }
    const conflictA = await conflicts(A.session);
    const conflictB = await conflicts(B.session);
    expect(conflictA.map((c) => c.versions.map((v) => `${v.n} ${v.device}`))).toEqual(conflictB.map((c) => c.versions.map((v) => `${v.n} ${v.device}`)));
    expect(new Set(conflictA[0]?.versions.map((v) => v.device))).toEqual(new Set([(await A.session.versions()).state.batches.device, (await B.session.versions()).state.batches.device]));
    expect(await numbered(A)).toEqual(await numbered(B));
    // Still a conflict after syncing again (nothing settles it but the user), and scans do not resolve it by themselves.
    expect((await sync(B)).conflicts.length).toBe(1);
    expect((await scan(B.session)).versions).toEqual([]);

    // On B, the user keeps A's version.
    const deviceA = (await A.session.versions()).state.batches.device;
    const aVersion = conflictB[0]?.versions.find((v) => v.device === deviceA);
    const rolled = await rollback(B.session, join(B.folder, 'diagram.bin'), aVersion?.n ?? 0);
    expect(rolled.versions.map((v) => v.op)).toEqual(['rollback']);
    expect(await conflicts(B.session)).toEqual([]);
    await sync(B);
    const settledA = await sync(A);
    expect(settledA.conflicts).toEqual([]);
    expect(settledA.written).toEqual([]); // A already had that version on disk
    for (const d of [A, B]) {
      expect(await conflicts(d.session)).toEqual([]);
      expect(Buffer.compare(await readFile(join(d.folder, 'diagram.bin')), Buffer.from(seededBytes(2, 70_000)))).toBe(0);
      await passesCheck(d);
    }
    expect(await numbered(A)).toEqual(await numbered(B));
  });

  it('brings other devices\' additions, renames and deletions into place; an edit wins over a concurrent deletion; one name wins', async () => {
    const [A, B] = await twoDevices({ 'keep.md': 'keep\n', 'old-name.md': 'rename me\n', 'doomed.md': 'delete me\n', 'contested.md': 'edit or delete?\n', 'twice.md': 'renamed twice\n' });
    const { rename, rm } = await import('node:fs/promises');
    await put(join(A.folder, 'new.md'), 'new on A\n');
    await rename(join(A.folder, 'old-name.md'), join(A.folder, 'new-name.md'));
    await rm(join(A.folder, 'doomed.md'));
    await rm(join(A.folder, 'contested.md')); // deleted on A ...
    await put(join(B.folder, 'contested.md'), 'edit or delete? edited on B\n'); // ... edited on B
    await rename(join(A.folder, 'twice.md'), join(A.folder, 'twice-a.md')); // renamed on both: the newer name wins on both
    await rename(join(B.folder, 'twice.md'), join(B.folder, 'twice-b.md'));
    const past = (Date.now() - 300_000) / 1000;
    await utimes(join(B.folder, 'twice-b.md'), past, past); // B's copy was put there just now: settled all the same
    await scan(A.session);
    await scan(B.session);
    await sync(A);
    const atB = await sync(B);
    expect(atB.versions.map((v) => `${v.path} ${v.op}`).sort()).toEqual(['contested.md merge', 'twice-b.md merge']);
    await sync(A);
    for (const d of [A, B]) {
      expect((await readdir(d.folder)).sort()).toEqual(['contested.md', 'keep.md', 'new-name.md', 'new.md', 'twice-b.md']);
      expect(await readFile(join(d.folder, 'contested.md'), 'utf8')).toBe('edit or delete? edited on B\n');
      expect((await scan(d.session)).versions).toEqual([]); // nothing on disk disagrees with history
    }
    expect(await numbered(A)).toEqual(await numbered(B));
  });
});

describe('merging concurrent line edits', () => {
  it('a line removed on one device and lines added next to it on the other merge line by line', async () => {
    const base = 'line 4\nline 5\nline 6\n';
    const [A, B] = await twoDevices({ 'text.md': base });
    await put(join(A.folder, 'text.md'), 'line 4\nline 6\n');
    await put(join(B.folder, 'text.md'), 'line 4\nbefore 5\nline 5\nafter 5\nline 6\n');
    await scan(A.session);
    await scan(B.session);
    await sync(A);
    await sync(B);
    await sync(A);
    for (const d of [A, B]) expect(await readFile(join(d.folder, 'text.md'), 'utf8')).toBe('line 4\nbefore 5\nafter 5\nline 6\n');
  });

  it('random concurrent line edits: every line either side inserted is in the merged text, every line either side removed is gone (property)', async () => {
    let seed = 4242;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const base = Array.from({ length: 30 }, (_, i) => `line ${i}: ${'word '.repeat(i % 5)}end\n`);
    const [A, B] = await twoDevices({ 'text.md': base.join('') });
    const inserted: string[] = [];
    const removed = new Set<string>();
    const protect = new Set<string>(); // lines removed this round (the other device inserts next to them)
    for (let round = 0; round < 4; round++) {
      protect.clear();
      for (const d of [A, B]) {
        const lines: string[] = (await readFile(join(d.folder, 'text.md'), 'utf8')).match(/[^\n]*\n/g) ?? [];
        for (let k = 0; k < 1 + next(3); k++) {
          const line = `${d.name} round ${round} insert ${k}\n`;
          // Often right next to the line the other device removed this round: the hard case.
          const near = [...protect].map((l) => lines.indexOf(l)).filter((i) => i >= 0);
          const at = near.length > 0 && next(2) === 0 ? (near[next(near.length)] as number) + next(2) : next(lines.length + 1);
          lines.splice(at, 0, line);
          inserted.push(line);
        }
        // Remove an original line the other device has not removed this round.
        const candidates = lines.filter((l) => base.includes(l) && !removed.has(l) && !protect.has(l));
        if (candidates.length > 0 && next(2) === 0) {
          const victim = candidates[next(candidates.length)] as string;
          lines.splice(lines.indexOf(victim), 1);
          removed.add(victim);
          protect.add(victim);
        }
        await put(join(d.folder, 'text.md'), lines.join(''));
        await scan(d.session);
      }
      await sync(A);
      await sync(B);
      await sync(A);
      const textA = await readFile(join(A.folder, 'text.md'), 'utf8');
      expect(await readFile(join(B.folder, 'text.md'), 'utf8')).toBe(textA);
      const lines = textA.match(/[^\n]*\n/g) ?? [];
      for (const line of inserted) expect(lines).toContain(line);
      for (const line of removed) expect(lines).not.toContain(line);
      expect(lines.length).toBe(base.length + inserted.length - removed.size);
      expect(await numbered(A)).toEqual(await numbered(B));
    }
    for (const d of [A, B]) await passesCheck(d);
  });
});
