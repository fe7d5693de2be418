// Version history of tracked folders on real temporary folders: adds, edits,
// renames, deletions, settling, ignore rules, two devices, hostile batches,
// and a property test that every version of a randomly edited text rebuilds
// byte for byte.
import { cp, mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DamagedObjectError } from '../../src/engine/errors';
import { initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import type { Repository } from '../../src/engine/repo/repository';
import { History } from '../../src/engine/versions/history';
import { parseBatch, type VersionRecord } from '../../src/engine/versions/records';
import type { TextDiff } from '../../src/engine/versions/compare';
import { restoreVersions, rollback } from '../../src/engine/ops/restore-versions';
import { content, log as logOf, tag, version } from '../../src/engine/ops/history';
import { addFolder, listFolders, removeFolder, scan } from '../../src/engine/ops/folders';
import { blame as blameOf, diff as diffOf } from '../../src/engine/ops/compare';
import { Session } from '../../src/engine/ops/session';
import { machineStateDir } from '../../src/engine/fs/state-home';
import { fastKdf, seededBytes, tempDir } from '../helpers';

const PASS = 'versions test passphrase';
let dir: { path: string; cleanup: () => Promise<void> };
let repoDir = '';
let course = '';
let repo: Repository;

beforeEach(async () => {
  dir = await tempDir('strata-versions-');
  repoDir = join(dir.path, 'repo');
  course = join(dir.path, 'course');
  await mkdir(join(course, 'lessons'), { recursive: true });
  repo = await initRepositoryAt(repoDir, PASS, { kdf: fastKdf() });
});
afterEach(async () => {
  await dir.cleanup();
});

/** Writes a file with an mtime in the past, so it counts as settled. */
async function put(rel: string, content: string | Uint8Array, ageMs = 60_000): Promise<void> {
  const path = join(course, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  const t = (Date.now() - ageMs) / 1000;
  await utimes(path, t, t);
}

async function contentOf(session: Session, record: VersionRecord): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of content(session, record)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

async function open(): Promise<Session> {
  return Session.of(await openRepositoryAt(repoDir, PASS), repoDir);
}

describe('tracked folders and scans', () => {
  it('records adds, edits, renames and deletions; history and content survive each', async () => {
    await put('lessons/intro.md', '# Intro\n\nHello.\n');
    await put('video.mp4', seededBytes(1, 300_000));
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    let result = await scan(session);
    expect(result.versions.map((v) => `${v.op} ${v.path} @${v.n}`)).toEqual(['add lessons/intro.md @1', 'add video.mp4 @1']);
    expect(result.versions[0]?.summary).toBe('added, 3 lines');

    await put('lessons/intro.md', '# Intro\n\nHello, again.\nMore.\n');
    result = await scan(session);
    expect(result.versions.map((v) => `${v.op} ${v.path} @${v.n}`)).toEqual(['edit lessons/intro.md @2']);
    expect(result.versions[0]?.summary).toBe('+2 -1 lines');
    expect(result.unchanged).toBe(1);

    // A rename keeps the file's identity and history.
    await rename(join(course, 'lessons/intro.md'), join(course, 'lessons/welcome.md'));
    result = await scan(session);
    expect(result.versions.map((v) => `${v.op} ${v.path} @${v.n} from ${v.from}`)).toEqual(['rename lessons/welcome.md @3 from lessons/intro.md']);
    const renamed = result.versions[0] as VersionRecord;

    await rm(join(course, 'video.mp4'));
    result = await scan(session);
    expect(result.versions.map((v) => `${v.op} ${v.path} @${v.n}`)).toEqual(['delete video.mp4 @2']);

    // A fresh process sees the same history, and every version's content.
    const again = await open();
    const log = await logOf(again, join(course, 'lessons/welcome.md'));
    expect(log.map((e) => e.record.n)).toEqual([3, 2, 1]);
    expect(new Set(log.map((e) => e.record.file))).toEqual(new Set([renamed.file]));
    expect((await contentOf(again, await version(again, join(course, 'lessons/welcome.md'), 1))).toString()).toBe('# Intro\n\nHello.\n');
    // The deleted file is still reachable by its path; its deletion has no content.
    const deleted = await version(again, join(course, 'video.mp4'));
    expect(deleted.op).toBe('delete');
    await expect(contentOf(again, deleted)).rejects.toThrow(/deletion/);
    expect(Buffer.compare(await contentOf(again, await version(again, join(course, 'video.mp4'), 1)), Buffer.from(seededBytes(1, 300_000)))).toBe(0);
    // Folder log: every file, newest first.
    expect((await logOf(again, course)).length).toBe(5);
  });

  it('writes nothing when nothing changed, and does not reread a file whose content did not change', async () => {
    await put('a.md', 'one\n');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    expect((await scan(session)).batch).toBeUndefined();
    // Touched: metadata changed, content not. No version; remembered as seen.
    const t = (Date.now() - 30_000) / 1000;
    await utimes(join(course, 'a.md'), t, t);
    const touched = await scan(session);
    expect(touched.versions).toEqual([]);
    expect(touched.unchanged).toBe(1);
    const state = JSON.parse(await readFile(join(await machineStateDir(repoDir), 'state.json'), 'utf8')) as { seen?: Record<string, Record<string, unknown>> };
    expect(Object.values(state.seen ?? {}).some((paths) => 'a.md' in paths)).toBe(true);
  });

  it('leaves files that are still being written for a later scan', async () => {
    await put('settled.md', 'done\n');
    await put('busy.md', 'half', 0);
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    const result = await scan(session, [], { settleMs: 10_000 });
    expect(result.versions.map((v) => v.path)).toEqual(['settled.md']);
    expect(result.settling).toEqual(['course/busy.md']);
    expect((await scan(session, [], { settleMs: 0 })).versions.map((v) => v.path)).toEqual(['busy.md']);
  });

  it('honours default ignore rules and the folder\'s .strataignore', async () => {
    await put('lesson.md', 'x\n');
    await put('.DS_Store', 'junk');
    await put('lesson.md.swp', 'swap');
    await put('~$slides.pptx', 'lock');
    await put('.git/HEAD', 'ref');
    await put('drafts/notes.md', 'private\n');
    await put('renders/keep.png', 'png');
    await put('renders/big.mov', 'mov');
    await put('.strataignore', 'drafts/\nrenders/*\n!renders/*.png\n');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    const result = await scan(session);
    expect(result.versions.map((v) => v.path)).toEqual(['.strataignore', 'lesson.md', 'renders/keep.png']);
  });

  it('refuses overlapping, duplicate and missing folders with clear errors', async () => {
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await expect(addFolder(session, course)).rejects.toThrow(/already tracked/);
    await expect(addFolder(session, join(course, 'lessons'))).rejects.toThrow(/overlaps/);
    await expect(addFolder(session, join(dir.path, 'missing'))).rejects.toThrow(/no folder/);
    await expect(scan(session, ['nope'])).rejects.toThrow(/no tracked folder named "nope"/);
    await expect(logOf(session, join(dir.path, 'elsewhere.md'))).rejects.toThrow(/not in a tracked folder/);
    // Removing keeps history; the folder can be tracked again under the same id.
    await put('a.md', 'a\n');
    await scan(session);
    await removeFolder(session, 'course');
    await expect(scan(session)).rejects.toThrow(/no folders are tracked/);
    expect((await logOf(session, join(course, 'a.md'))).length).toBe(1);
    const back = await addFolder(session, course);
    expect((await listFolders(session)).find((f) => f.id === back.id)?.versions).toBe(1);
  });

  it('tags versions and filters the log by tag, author and time', async () => {
    await put('a.md', 'a\n');
    process.env.STRATA_AUTHOR = 'Ada <ada@example.org>';
    try {
      const session = Session.of(repo, repoDir);
      await addFolder(session, course);
      await scan(session);
      await tag(session, join(course, 'a.md'), 1, 'sent to reviewer');
      const again = await open();
      const path = join(course, 'a.md');
      expect((await logOf(again, path, { tag: 'sent to reviewer' })).map((e) => e.record.n)).toEqual([1]);
      expect((await logOf(again, path, { author: 'ada' })).length).toBe(1);
      expect((await logOf(again, path, { author: 'bob' })).length).toBe(0);
      expect((await logOf(again, path, { since: new Date(Date.now() + 60_000) })).length).toBe(0);
      expect((await logOf(again, path, { until: new Date(Date.now() + 60_000) })).length).toBe(1);
    } finally {
      delete process.env.STRATA_AUTHOR;
    }
  });
});

describe('devices and stored batches', () => {
  it('two copies of one repository write as two devices and never collide', async () => {
    await put('a.md', 'a\n');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    const copyDir = join(dir.path, 'repo-copy');
    await cp(repoDir, copyDir, { recursive: true });
    const copy = Session.of(await openRepositoryAt(copyDir, PASS), copyDir);
    expect((await copy.versions()).state.batches.device).not.toBe((await session.versions()).state.batches.device); // a copied repository is a new device
    await put('b.md', 'b\n');
    await put('b.bin', seededBytes(7, 50_000)); // binary: chunks in packs, not text history
    await scan(session);
    await scan(copy); // the copy records them too, in its own batch
    // Bring the copy's batches over, as sync will: names never clash.
    const { readdir } = await import('node:fs/promises');
    const history0 = await History.load(await openRepositoryAt(copyDir, PASS));
    expect(history0.damaged).toEqual([]);
    const mine = new Set(await readdir(join(repoDir, 'versions')));
    const theirs = await readdir(join(copyDir, 'versions'));
    expect(theirs.filter((n) => !mine.has(n)).length).toBeGreaterThan(0);
    for (const name of theirs) if (!mine.has(name)) await cp(join(copyDir, 'versions', name), join(repoDir, 'versions', name));
    for (const sub of await readdir(join(copyDir, 'data'))) await cp(join(copyDir, 'data', sub), join(repoDir, 'data', sub), { recursive: true, force: false });
    for (const name of await readdir(join(copyDir, 'index'))) await cp(join(copyDir, 'index', name), join(repoDir, 'index', name), { force: false });
    const history = await History.load(await openRepositoryAt(repoDir, PASS));
    expect(history.damaged).toEqual([]);
    const devices = new Set(history.filesIn((await listFolders(session))[0]?.id ?? '').flatMap((f) => f.versions.map((v) => v.device)));
    expect(devices).toEqual(new Set([(await session.versions()).state.batches.device, (await copy.versions()).state.batches.device]));
  });

  it('rejects hostile or malformed batches, reporting them while the rest stays usable', () => {
    const good = {
      format: 1, device: 'aaaaaaaaaaaaaaaa', seq: 1, time: new Date().toISOString(),
      records: [{
        kind: 'version', folder: 'f'.repeat(32), file: 'e'.repeat(32), n: 1, path: 'lessons/a.md', op: 'add', time: new Date().toISOString(),
        author: 'a', device: 'aaaaaaaaaaaaaaaa', size: 1, sha256: '0'.repeat(64), mode: 0o644, mtimeMs: 1, ctimeMs: 1, inode: 1,
        content: ['1'.repeat(64)], summary: 'added', tags: [], meta: {},
      }],
    };
    const name = 'versions/aaaaaaaaaaaaaaaa-0000000001';
    expect(parseBatch(name, good).records.length).toBe(1);
    const withPath = (path: string): unknown => ({ ...good, records: [{ ...good.records[0], path }] });
    for (const path of ['../escape.md', '/etc/passwd', 'a/../../b', 'a//b', 'a\\b', '']) {
      expect(() => parseBatch(name, withPath(path))).toThrow(DamagedObjectError);
    }
    expect(() => parseBatch('versions/bbbbbbbbbbbbbbbb-0000000001', good)).toThrow(/does not match the name/);
    expect(() => parseBatch(name, { ...good, records: [{ ...good.records[0], content: undefined }] })).toThrow(/content reference/);
    expect(() => parseBatch(name, { ...good, records: [{ kind: 'mystery', device: good.device }] })).toThrow(/unknown record kind/);
  });
});

describe('text history', () => {
  it('rebuilds every version of a randomly edited text byte for byte (property)', async () => {
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const words = ['lesson', 'wave', 'energy', 'quiz', 'é', 'naïve', '\t', 'line\r\n', '\n', '  '];
    let text = '# Course\n';
    const states: string[] = [];
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    for (let round = 0; round < 25; round++) {
      const at = next(text.length + 1);
      const cut = next(4) === 0 ? next(Math.min(40, text.length - at) + 1) : 0;
      const insert = Array.from({ length: next(6) }, () => words[next(words.length)]).join(' ');
      text = text.slice(0, at) + insert + text.slice(at + cut);
      if (next(5) === 0) text = text.endsWith('\n') ? text.slice(0, -1) : `${text}\n`;
      if (states.at(-1) === text) continue;
      states.push(text);
      await put('notes.md', text, 60_000 - round * 1000); // a new mtime every round
      const result = await scan(session);
      expect(result.versions.length).toBe(1);
    }
    const again = await open();
    const path = join(course, 'notes.md');
    const versions = (await logOf(again, path)).map((e) => e.record).sort((a, b) => a.n - b.n);
    expect(versions.length).toBe(states.length);
    for (let i = 0; i < states.length; i++) {
      expect((await contentOf(again, versions[i] as VersionRecord)).toString('utf8')).toBe(states[i]);
    }
  });
});

describe('rollback and point-in-time restore', () => {
  /** The folder's files and contents (ignoring nothing: the test writes no junk). */
  async function snapshotOf(root: string): Promise<Record<string, string>> {
    const { readdir } = await import('node:fs/promises');
    const out: Record<string, string> = {};
    const visit = async (rel: string): Promise<void> => {
      for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await visit(path);
        else out[path] = await readFile(join(root, path), 'utf8');
      }
    };
    await visit('');
    return out;
  }

  it('restores a folder as it was at each moment, in place and elsewhere, keeping every state in history', async () => {
    let clock = Date.now(); // ahead of every file's mtime, so nothing counts as still being written
    const tick = (): number => (clock += 60_000);
    const session = Session.of(repo, repoDir);
    const states: Array<{ at: Date; files: Record<string, string> }> = [];
    const record = async (): Promise<void> => {
      await scan(session, [], { settleMs: 0, now: () => tick() });
      states.push({ at: new Date(clock), files: await snapshotOf(course) });
    };
    await put('lessons/a.md', 'A1\n');
    await put('lessons/b.md', 'B1\n');
    await put('media/clip.bin', Buffer.from(seededBytes(3, 70_000)).toString('latin1'));
    await addFolder(session, course, 'course');
    await record(); // S0: adds
    await put('lessons/a.md', 'A1\nA2\n');
    await put('notes.md', 'N1\n');
    await record(); // S1: an edit and an add
    await rename(join(course, 'lessons/b.md'), join(course, 'lessons/b-renamed.md'));
    await rm(join(course, 'media/clip.bin'));
    await record(); // S2: a rename and a deletion
    await put('lessons/a.md', 'A3\n');
    await record(); // S3: another edit
    const latest = await snapshotOf(course);

    for (const [i, state] of states.entries()) {
      // Elsewhere: exactly the files of that moment.
      const target = join(dir.path, `out-${i}`);
      await restoreVersions(session, course, { at: state.at, target });
      expect(await snapshotOf(target)).toEqual(state.files);
    }
    // In place, back to S1: files added later are removed, renamed ones return to their old name.
    const outcome = await restoreVersions(session, course, { at: states[1]?.at as Date });
    expect(await snapshotOf(course)).toEqual(states[1]?.files);
    expect(outcome.removed.sort()).toEqual(['lessons/b-renamed.md']);
    // ...and history kept everything: the newest state is still there, version by version.
    const forward = join(dir.path, 'forward');
    await restoreVersions(session, join(course, 'lessons/a.md'), { version: 3, target: forward });
    await restoreVersions(session, join(course, 'lessons/b.md'), { version: 2, target: forward });
    await restoreVersions(session, join(course, 'notes.md'), { version: 1, target: forward });
    expect(await snapshotOf(forward)).toEqual({ 'a.md': latest['lessons/a.md'], 'b.md': latest['lessons/b-renamed.md'], 'notes.md': latest['notes.md'] });
    // The restored deleted file continues its own history.
    const clip = await logOf(session, join(course, 'media/clip.bin'));
    expect(clip.map((e) => e.record).sort((a, b) => b.n - a.n).map((r) => `${r.n} ${r.op}`)).toEqual(['3 restore', '2 delete', '1 add']);
    expect(new Set(clip.map((e) => e.record.file)).size).toBe(1);
  });

  it('rolls a file back as a new version, recording unsaved changes first', async () => {
    await put('a.md', 'one\n');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    await put('a.md', 'two\n', 50_000);
    await scan(session);
    await writeFile(join(course, 'a.md'), 'three, never scanned\n');
    const outcome = await rollback(session, join(course, 'a.md'), 1, 'back to the start');
    expect(await readFile(join(course, 'a.md'), 'utf8')).toBe('one\n');
    const log = await logOf(session, join(course, 'a.md'));
    expect(log.map((e) => `${e.record.n} ${e.record.op}`)).toEqual(['4 rollback', '3 edit', '2 edit', '1 add']);
    expect(log[0]?.record.message).toBe('back to the start');
    expect(outcome.versions.map((v) => v.n)).toEqual([4]);
    // The unsaved state was versioned before being replaced.
    expect((await contentOf(session, await version(session, join(course, 'a.md'), 3))).toString()).toBe('three, never scanned\n');
    await expect(rollback(session, join(course, 'a.md'), 9)).rejects.toThrow(/no version 9/);
  });

  it('never writes through a symlink that replaced a folder', async () => {
    const { symlink } = await import('node:fs/promises');
    await put('lessons/a.md', 'a\n');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    const outside = join(dir.path, 'outside');
    await mkdir(outside);
    await rm(join(course, 'lessons'), { recursive: true });
    await symlink(outside, join(course, 'lessons'));
    await expect(restoreVersions(session, join(course, 'lessons/a.md'), { version: 1, target: join(dir.path, 'fine') })).resolves.toBeDefined();
    await expect(restoreVersions(session, join(course, 'lessons/a.md'), { version: 1 })).rejects.toThrow(/symlink/);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('compare and blame', () => {
  /** Applies a diff's hunks to the old text; must give the new text. */
  function applyHunks(before: string, diff: TextDiff): string {
    const lines = before.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    const out: string[] = [];
    let at = 0;
    for (const hunk of diff.hunks) {
      const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
      while (at < start) out.push(lines[at++] as string);
      for (const line of hunk.lines) {
        const text = line.segments.map((s) => s.text).join('');
        if (line.type === 'same') {
          expect(text).toBe(lines[at]);
          out.push(text);
          at++;
        } else if (line.type === 'removed') {
          expect(text).toBe(lines[at]);
          at++;
        } else out.push(text);
      }
    }
    while (at < lines.length) out.push(lines[at++] as string);
    return out.join('');
  }

  it('attributes insertions and removals to the versions and authors that made them', async () => {
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    const path = join(course, 'lesson.md');
    const step = async (content: string, author: string, age: number): Promise<void> => {
      await put('lesson.md', content, age);
      process.env.STRATA_AUTHOR = author;
      try {
        await scan(session);
      } finally {
        delete process.env.STRATA_AUTHOR;
      }
    };
    await step('# Sound\n\nSound is a wave.\nIt needs a medium.\n', 'Ada', 60_000);
    await step('# Sound\n\nSound is a longitudinal wave.\nIt needs a medium.\n', 'Bob', 50_000);
    await step('# Sound\n\nSound is a longitudinal wave.\nQuiz next week.\n', 'Cy', 40_000);
    const { diff } = await diffOf(session, path, 1, { path, n: 3 });
    if (diff.kind !== 'text') throw new Error('expected a text diff');
    const changed: string[] = diff.hunks.flatMap((h) => h.lines).flatMap((l) => l.segments.filter((s) => s.type !== 'same').map((s) => `${s.type} ${JSON.stringify(s.text)} @${s.by?.version} ${s.by?.author}`));
    expect(changed).toContain('added "longitudinal " @2 Bob');
    expect(changed.some((c) => c.startsWith('added') && c.includes('Quiz') && c.endsWith('@3 Cy'))).toBe(true);
    expect(changed.some((c) => c.startsWith('removed') && c.includes('@3 Cy'))).toBe(true); // "It needs a medium." went in version 3
    expect(applyHunks('# Sound\n\nSound is a wave.\nIt needs a medium.\n', diff)).toBe('# Sound\n\nSound is a longitudinal wave.\nQuiz next week.\n');

    const blame = await blameOf(session, path);
    expect(blame.map((l) => `${l.by.version} ${l.by.author}: ${l.text}`)).toEqual([
      '1 Ada: # Sound', '1 Ada: ', '2 Bob: Sound is a longitudinal wave.', '3 Cy: Quiz next week.',
    ]);
    // Unrecorded changes on disk are blamed as such.
    await writeFile(path, '# Sound!\n\nSound is a longitudinal wave.\nQuiz next week.\n');
    expect((await blameOf(session, path))[0]?.by.author).toBe('not recorded yet');
    const toDisk = await diffOf(session, path, 3);
    expect(toDisk.to.label).toMatch(/on disk/);
  });

  it('diffs apply: between random versions of a randomly edited text, hunks turn one into the other', async () => {
    let seed = 99;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pool = ['alpha\n', 'beta\n', 'gamma delta\n', 'x', '\n', 'wave ', 'é\r\n'];
    let text = 'start\n';
    const states: string[] = [];
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    for (let round = 0; round < 12; round++) {
      const at = next(text.length + 1);
      const cut = next(3) === 0 ? next(Math.min(12, text.length - at) + 1) : 0;
      text = text.slice(0, at) + Array.from({ length: 1 + next(4) }, () => pool[next(pool.length)]).join('') + text.slice(at + cut);
      if (states.at(-1) === text) continue;
      states.push(text);
      await put('t.md', text, 60_000 - round * 1000);
      await scan(session);
    }
    const path = join(course, 't.md');
    for (let k = 0; k < 15; k++) {
      const i = next(states.length);
      const j = next(states.length);
      const { diff } = await diffOf(session, path, i + 1, { path, n: j + 1 });
      if (diff.kind !== 'text') throw new Error('expected text');
      expect(applyHunks(states[i] as string, diff)).toBe(states[j]);
    }
  });

  it('compares binary versions by size, type, checksum, chunks and image dimensions', async () => {
    const png = (w: number, h: number): Uint8Array => {
      const b = Buffer.alloc(3000);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(b);
      b.writeUInt32BE(w, 16);
      b.writeUInt32BE(h, 20);
      b.set(seededBytes(w, 2000), 100);
      return b;
    };
    await put('pic.png', png(640, 480));
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    await put('pic.png', png(800, 600), 30_000);
    const scanned = await scan(session);
    expect(scanned.versions[0]?.summary).toBe('image replaced');
    const { diff } = await diffOf(session, join(course, 'pic.png'), 1, { path: join(course, 'pic.png'), n: 2 });
    if (diff.kind !== 'binary') throw new Error('expected binary');
    expect([diff.old.type, diff.old.width, diff.old.height, diff.new.width, diff.new.height]).toEqual(['image/png', 640, 480, 800, 600]);
    expect(diff.chunks).toEqual({ old: 1, new: 1, changed: 1 });
    expect(diff.old.sha256).not.toBe(diff.new.sha256);
  });
});

describe('check covers version history', () => {
  it('names a damaged batch and blobs that versions need but no index has', async () => {
    const { check } = await import('../../src/engine/maintenance/check');
    const { readdir } = await import('node:fs/promises');
    await put('video.bin', seededBytes(9, 200_000));
    await put('a.md', 'text\n');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    expect((await check(await openRepositoryAt(repoDir, PASS))).problems).toEqual([]);
    // Lose the index: the video's chunks are named by a version but indexed nowhere.
    for (const name of await readdir(join(repoDir, 'index'))) await rm(join(repoDir, 'index', name));
    const missing = await check(await openRepositoryAt(repoDir, PASS));
    expect(missing.problems.some((p) => p.message.includes('version video.bin@1'))).toBe(true);
    // A batch altered on disk fails authentication and is named.
    const batches = await readdir(join(repoDir, 'versions'));
    const victim = join(repoDir, 'versions', batches[batches.length - 1] as string);
    const bytes = await readFile(victim);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
    await writeFile(victim, bytes);
    const damaged = await check(await openRepositoryAt(repoDir, PASS));
    expect(damaged.problems.some((p) => p.object.startsWith('versions/') && /authentication/.test(p.message))).toBe(true);
  });
});

describe('text history compaction', () => {
  it('writes a full-state checkpoint every CHECKPOINT_EVERY versions; rebuilds start there and stay exact', async () => {
    const { CHECKPOINT_EVERY, textChain } = await import('../../src/engine/versions/text-history');
    const session = Session.of(repo, repoDir);
    await addFolder(session, course);
    const states: string[] = [];
    let text = '# Notes\n';
    const edits = CHECKPOINT_EVERY + 10;
    for (let i = 0; i < edits; i++) {
      text = i % 7 === 3 ? text.replace(/line \d+\n/, '') : `${text}line ${i}\n`;
      states.push(text);
      await put('notes.md', text, 10_000_000 - i * 1000);
      expect((await scan(session)).versions.length).toBe(1);
    }
    const path = join(course, 'notes.md');
    const file = (await session.versions()).history.fileAt((await listFolders(session))[0]?.id ?? '', 'notes.md');
    if (!file) throw new Error('no history');
    const checkpoints = file.versions.filter((v) => v.yjs?.checkpoint).map((v) => v.n);
    expect(checkpoints).toEqual([CHECKPOINT_EVERY]);
    const newest = file.versions.at(-1) as VersionRecord;
    expect(textChain(file, newest, true)[0]?.n).toBe(CHECKPOINT_EVERY); // not from version 1
    expect(textChain(file, newest, false)[0]?.n).toBe(1);
    // Versions on both sides of the checkpoint rebuild byte for byte, in a fresh process's view.
    const again = await open();
    for (const n of [1, 2, CHECKPOINT_EVERY - 1, CHECKPOINT_EVERY, CHECKPOINT_EVERY + 1, edits]) {
      expect((await contentOf(again, await version(again, path, n))).toString()).toBe(states[n - 1]);
    }
  }, 60_000);
});
