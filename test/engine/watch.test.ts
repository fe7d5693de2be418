// The watcher on real temporary folders: editors' atomic saves, rapid saves,
// renames, deletions and restores, ignore rules, and a large file written
// slowly. Waits are for conditions (with generous limits), never for speed.
import { open as openFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initRepositoryAt } from '../../src/engine/repo/location';
import type { VersionRecord } from '../../src/engine/versions/records';
import { FolderWatcher } from '../../src/engine/watch/folder-watcher';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import { content, log } from '../../src/engine/ops/history';
import { addFolder, scan, trackedFolders } from '../../src/engine/ops/folders';
import { Session } from '../../src/engine/ops/session';
import { fastKdf, seededBytes, tempDir } from '../helpers';

const QUIET = 500;
let dir: { path: string; cleanup: () => Promise<void> };
let course = '';
let session: Session;
let watcher: FolderWatcher;
const recorded: VersionRecord[] = [];
const errors: unknown[] = [];

async function until(what: string, condition: () => boolean, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the watcher has had a quiet spell and scanned everything pending. */
async function settled(): Promise<void> {
  await new Promise((r) => setTimeout(r, QUIET * 3));
  await watcher.idle();
}

const versionsOf = (path: string): VersionRecord[] => recorded.filter((v) => v.path === path);

beforeEach(async () => {
  dir = await tempDir('strata-watch-');
  course = join(dir.path, 'course');
  await mkdir(course);
  const repoDir = join(dir.path, 'repo');
  const repo = await initRepositoryAt(repoDir, 'pass', { kdf: fastKdf() });
  session = Session.of(repo, repoDir);
  await addFolder(session, course);
  recorded.length = 0;
  errors.length = 0;
  watcher = new FolderWatcher(await trackedFolders(session), {
    quietMs: QUIET,
    scan: (folder) => scan(session, [folder.name], { settleMs: QUIET }),
    onScan: (_folder, result) => recorded.push(...result.versions),
    onError: (error) => errors.push(error),
  });
  await watcher.start();
});

afterEach(async () => {
  await watcher.stop();
  await dir.cleanup();
  expect(errors).toEqual([]);
});

describe('folder watcher', () => {
  it('records an editor\'s atomic save (write a temporary file, rename it over) as one edit', async () => {
    await writeFile(join(course, 'lesson.md'), 'first\n');
    await until('the first version', () => versionsOf('lesson.md').length === 1);
    await writeFile(join(course, '.lesson.md.swp'), 'swap');
    await writeFile(join(course, 'lesson.md.tmp'), 'second\n');
    await rename(join(course, 'lesson.md.tmp'), join(course, 'lesson.md'));
    await until('the edit', () => versionsOf('lesson.md').length === 2);
    await settled();
    expect(versionsOf('lesson.md').map((v) => v.op)).toEqual(['add', 'edit']);
    expect(recorded.map((v) => v.path)).toEqual(['lesson.md', 'lesson.md']); // no swap or temp files
    expect((await readFile(join(course, 'lesson.md'), 'utf8'))).toBe('second\n');
  });

  it('coalesces rapid saves into one version of the settled state', async () => {
    for (let i = 1; i <= 8; i++) await writeFile(join(course, 'notes.md'), `draft ${i}\n`);
    await until('a version', () => versionsOf('notes.md').length >= 1);
    await settled();
    expect(versionsOf('notes.md').length).toBe(1);
    const v = versionsOf('notes.md')[0] as VersionRecord;
    const pieces: Uint8Array[] = [];
    for await (const p of content(session, v)) pieces.push(p);
    expect(Buffer.concat(pieces).toString()).toBe('draft 8\n');
  });

  it('keeps history across a rename, and a deleted file can be restored', async () => {
    await writeFile(join(course, 'a.md'), 'alpha\n');
    await until('the add', () => versionsOf('a.md').length === 1);
    await rename(join(course, 'a.md'), join(course, 'b.md'));
    await until('the rename', () => versionsOf('b.md').length === 1);
    const renamed = versionsOf('b.md')[0] as VersionRecord;
    expect(renamed.op).toBe('rename');
    expect(renamed.file).toBe(versionsOf('a.md')[0]?.file);
    await rm(join(course, 'b.md'));
    await until('the deletion', () => versionsOf('b.md').some((v) => v.op === 'delete'));
    await restoreVersions(session, join(course, 'b.md'), { version: 2 });
    expect(await readFile(join(course, 'b.md'), 'utf8')).toBe('alpha\n');
    await settled();
    expect((await log(session, join(course, 'b.md'))).map((e) => e.record.op).sort()).toEqual(['add', 'delete', 'rename', 'restore']);
  });

  it('honours ignore rules, including a .strataignore written while watching', async () => {
    await writeFile(join(course, '.strataignore'), 'drafts/\n');
    await until('the ignore file', () => versionsOf('.strataignore').length === 1);
    await mkdir(join(course, 'drafts'));
    await writeFile(join(course, 'drafts', 'secret.md'), 'not for history\n');
    await writeFile(join(course, '.DS_Store'), 'junk');
    await writeFile(join(course, 'kept.md'), 'kept\n');
    await until('kept.md', () => versionsOf('kept.md').length === 1);
    await settled();
    expect(recorded.map((v) => v.path).sort()).toEqual(['.strataignore', 'kept.md']);
  });

  it('records a large file written slowly once, complete', async () => {
    const data = seededBytes(5, 3 * 1024 * 1024);
    const handle = await openFile(join(course, 'video.mp4'), 'w');
    for (let at = 0; at < data.length; at += 256 * 1024) {
      await handle.write(data.subarray(at, at + 256 * 1024));
      await new Promise((r) => setTimeout(r, 50)); // slow, but never pausing for the quiet time
    }
    await handle.close();
    await until('the video', () => versionsOf('video.mp4').length >= 1);
    await settled();
    const versions = versionsOf('video.mp4');
    expect(versions.length).toBe(1);
    expect(versions[0]?.size).toBe(data.length);
    const pieces: Uint8Array[] = [];
    for await (const p of content(session, versions[0] as VersionRecord)) pieces.push(p);
    expect(Buffer.compare(Buffer.concat(pieces), Buffer.from(data))).toBe(0);
  });
});
