// Damage a user meets without any attacker: packs cut short or gone (issue 10,
// point 3: restore names the files they cost and restores the rest), stray
// files that other programs drop into the repository's folders (point 4:
// ignored with a warning everywhere, never read, copied or deleted), and
// snapshots whose optional fields are absent (point 5: defaulted where they
// are parsed).

import { mkdir, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors';
import { check } from '../../src/engine/maintenance/check';
import { BlobType } from '../../src/engine/repo/format';
import { strayMessage } from '../../src/engine/repo/listing';
import { rebuildIndex } from '../../src/engine/maintenance/rebuild-index';
import { Repository } from '../../src/engine/repo/repository';
import { backup } from '../../src/engine/snapshot/archiver';
import { restore } from '../../src/engine/snapshot/restorer';
import { listSnapshots, resolveSnapshot } from '../../src/engine/snapshot/snapshots';
import { decodeTree, validateSnapshot, type Snapshot } from '../../src/engine/snapshot/tree';
import { LocalBackend } from '../../src/engine/storage/local';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { sessionOf } from './sessions';
import { fastKdf, seededBytes, tempDirPerTest, writeSettled } from '../helpers';

const dir = tempDirPerTest('strata-stray-');

/** Two folders backed up separately (their data in different packs), then both in one snapshot. */
async function twoFolders(): Promise<{ repo: Repository; repoDir: string; snapshot: Snapshot; dataPacksOfB: string[]; treePackOfB: string }> {
  const repoDir = join(dir.path, 'repo');
  const repo = await Repository.init(await LocalBackend.create(repoDir), 'pw', { kdf: fastKdf(), packSize: 1024 * 1024 });
  const source = join(dir.path, 'src');
  await mkdir(join(source, 'a'), { recursive: true });
  await mkdir(join(source, 'b'), { recursive: true });
  await writeFile(join(source, 'a', 'one.bin'), seededBytes(1, 300 * 1024));
  await writeFile(join(source, 'b', 'two.bin'), seededBytes(2, 300 * 1024));
  await writeFile(join(source, 'b', 'three.bin'), seededBytes(3, 300 * 1024));
  await backup(repo, { paths: [join(source, 'a')] });
  const packsOfA = new Set([...repo.index.entries()].map((e) => e.pack));
  await backup(repo, { paths: [join(source, 'b')] });
  const ofB = [...repo.index.entries()].filter((e) => !packsOfA.has(e.pack));
  const dataPacksOfB = [...new Set(ofB.filter((e) => e.type === BlobType.data).map((e) => e.pack))];
  const treePackOfB = ofB.find((e) => e.type === BlobType.tree)?.pack;
  if (dataPacksOfB.length === 0 || !treePackOfB || dataPacksOfB.includes(treePackOfB)) throw new Error('expected b in its own data and metadata packs');
  const { snapshot } = await backup(repo, { paths: [source] });
  return { repo, repoDir, snapshot, dataPacksOfB, treePackOfB };
}

const packPath = (repoDir: string, pack: string): string => join(repoDir, 'data', pack.slice(0, 2), pack);
const reopen = (repoDir: string): Promise<Repository> => Repository.open(new LocalBackend(repoDir), 'pw');

describe('a truncated or missing pack (point 3)', () => {
  for (const how of ['truncated', 'missing'] as const) {
    it(`restore of a snapshot names each file a ${how} data pack costs and restores the rest; check names the pack`, async () => {
      const { repoDir, snapshot, dataPacksOfB } = await twoFolders();
      for (const pack of dataPacksOfB) {
        const victim = packPath(repoDir, pack);
        // Cut into the blobs, not just the trailer (which reading by the index does not need).
        if (how === 'truncated') await truncate(victim, Math.floor((await stat(victim)).size / 3));
        else await rm(victim);
      }
      const damaged = await reopen(repoDir);

      const target = join(dir.path, 'restored');
      const result = await restore(damaged, snapshot, { target });
      expect(result.failed.map((f) => f.path).sort()).toEqual(['src/b/three.bin', 'src/b/two.bin']);
      for (const f of result.failed) expect(f.message).toMatch(how === 'missing' ? /pack is missing/ : /truncated/);
      expect(Buffer.from(await readFile(join(target, 'src', 'a', 'one.bin'))).equals(Buffer.from(seededBytes(1, 300 * 1024)))).toBe(true);
      expect(await readdir(join(target, 'src', 'b'))).toEqual([]); // nothing half-written

      const checked = await check(damaged);
      for (const pack of dataPacksOfB) {
        expect(checked.problems.some((p) => p.object === `data/${pack.slice(0, 2)}/${pack}` && (how === 'missing' ? /missing/ : /truncated/).test(p.message))).toBe(true);
      }
    });
  }

  it('a missing metadata pack costs the folders whose trees it held, named; the rest is restored', async () => {
    const { repoDir, snapshot, treePackOfB } = await twoFolders();
    await rm(packPath(repoDir, treePackOfB));
    const target = join(dir.path, 'restored');
    const result = await restore(await reopen(repoDir), snapshot, { target });
    expect(result.failed.map((f) => f.path)).toEqual(['src/b/']);
    expect((await readFile(join(target, 'src', 'a', 'one.bin'))).length).toBe(300 * 1024);
  });

  it('reading one blob (the path versions and `show` share) fails as damaged data, not as a range error', async () => {
    const { repo, repoDir, dataPacksOfB } = await twoFolders();
    const dataPackOfB = dataPacksOfB[0] as string;
    const entry = [...repo.index.entries()].find((e) => e.pack === dataPackOfB);
    if (!entry) throw new Error('no blob');
    const read = async (): Promise<unknown> => {
      const reopened = await reopen(repoDir);
      await reopened.ensureIndex();
      return reopened.loadBlob(entry.id, BlobType.data).catch((e: unknown) => e);
    };
    await truncate(packPath(repoDir, dataPackOfB), entry.offset + 10);
    const cut = await read();
    expect(cut).toBeInstanceOf(EngineError);
    expect((cut as EngineError).code).toBe('DAMAGED');
    expect((cut as EngineError).message).toMatch(/pack is truncated/);
    await rm(packPath(repoDir, dataPackOfB));
    const missing = await read();
    expect((missing as EngineError).code).toBe('DAMAGED');
    expect((missing as EngineError).message).toMatch(/pack is missing/);
  });
});

/** What other programs leave in folders they sync or browse. */
const STRAYS = [
  'data/.DS_Store', 'data/desktop.ini', 'data/ab/.DS_Store', 'data/ab/x~', 'data/zz/zz00',
  'index/.DS_Store', 'index/.foo.tmp', 'index/x~',
  'keys/.DS_Store', 'keys/desktop.ini',
  'snapshots/.DS_Store', 'snapshots/.foo.tmp', 'snapshots/desktop.ini', 'snapshots/x~',
  'versions/.DS_Store', 'versions/.foo.tmp', 'versions/0123456789abcdef-1',
];

async function plantStrays(root: string): Promise<void> {
  for (const name of STRAYS) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), 'not a Strata object');
  }
}

describe('stray files in the repository (point 4)', () => {
  async function repoWithHistory(): Promise<{ repo: Repository; repoDir: string; course: string }> {
    const repoDir = join(dir.path, 'repo');
    const repo = await Repository.init(await LocalBackend.create(repoDir), 'pw', { kdf: fastKdf() });
    const course = join(dir.path, 'course');
    await writeSettled(join(course, 'lesson.md'), '# Lesson\n');
    await writeSettled(join(course, 'clip.bin'), seededBytes(4, 100_000));
    await backup(repo, { paths: [course] });
    const session = await sessionOf(repo, repoDir);
    await addFolder(session, course);
    await scan(session);
    return { repo, repoDir, course };
  }

  it('listing, restore, version history and check ignore them, and say so', async () => {
    const { repoDir } = await repoWithHistory();
    await plantStrays(repoDir);
    const repo = await reopen(repoDir);
    expect(await listSnapshots(repo)).toHaveLength(1);
    const { snapshot } = await resolveSnapshot(repo, 'latest');
    const restored = await restore(repo, snapshot, { target: join(dir.path, 'restored') });
    expect(restored.failed).toEqual([]);
    expect(await readFile(join(dir.path, 'restored', 'course', 'lesson.md'), 'utf8')).toBe('# Lesson\n');
    const session = await sessionOf(repo, repoDir);
    expect((await session.versions()).history.allFiles()).toHaveLength(2);

    const result = await check(repo, { readData: true });
    expect(result.problems).toEqual([]);
    expect(result.strays).toEqual([...STRAYS].sort());
    // Said, once each, however many listings met them (a listener hears those found before it too).
    const reported: string[] = [];
    repo.strays.listen((name) => reported.push(name));
    await listSnapshots(repo);
    expect(reported.sort()).toEqual([...STRAYS].sort());
  });

  it('a stray whose name carries a terminal escape sequence is named without it', async () => {
    const { repoDir } = await repoWithHistory();
    const name = 'snapshots/\u001b]0;owned\u0007\u001b[2J.tmp';
    await writeFile(join(repoDir, name), 'x');
    const repo = await reopen(repoDir);
    expect(await listSnapshots(repo)).toHaveLength(1);
    expect(repo.strays.names()).toEqual([name]);
    const message = strayMessage(name);
    expect(message).toContain('snapshots/\\x1b]0;owned\\x07\\x1b[2J.tmp');
    expect([...message].some((c) => (c.codePointAt(0) as number) < 0x20)).toBe(false);
  });

  it('`repair index` reads only packs, keeps the stray files, and says so', async () => {
    const { repo, repoDir } = await repoWithHistory();
    const packs = new Set([...repo.index.entries()].map((e) => e.pack)).size;
    await plantStrays(repoDir);
    const reopened = await reopen(repoDir);
    const rebuilt = await rebuildIndex(reopened);
    expect(rebuilt.damaged).toEqual([]);
    expect(rebuilt.packs).toBe(packs);
    expect(reopened.strays.names()).toEqual(expect.arrayContaining(['data/.DS_Store', 'data/ab/.DS_Store', 'index/.DS_Store', 'index/.foo.tmp']));
    // Not ours to delete; and the rebuilt index is whole.
    expect((await stat(join(repoDir, 'index', '.DS_Store'))).isFile()).toBe(true);
    expect((await check(await reopen(repoDir), { readData: true })).problems).toEqual([]);
  });

  it('sync copies no stray in either direction, and reports them', async () => {
    const { repo, repoDir } = await repoWithHistory();
    await plantStrays(repoDir);
    const remoteDir = join(dir.path, 'remote');
    const remote = await LocalBackend.create(remoteDir);
    await syncRepositories(repo.backend, remote);
    for (const name of STRAYS) await expect(stat(join(remoteDir, name)), name).rejects.toThrow();
    expect((await check(await Repository.open(remote, 'pw'), { readData: true })).problems).toEqual([]);

    await rm(join(repoDir, 'snapshots', 'desktop.ini'));
    await plantStrays(remoteDir);
    const result = await syncRepositories(repo.backend, remote);
    expect([result.uploaded.objects, result.downloaded.objects]).toEqual([0, 0]);
    await expect(stat(join(repoDir, 'snapshots', 'desktop.ini'))).rejects.toThrow();
    expect(result.conflicts).toEqual([]); // the same stray names on both sides are not "conflicts" either
    expect(result.strays).toEqual([
      ...STRAYS.filter((n) => n !== 'snapshots/desktop.ini').sort().map((name) => ({ side: 'local', name })),
      ...[...STRAYS].sort().map((name) => ({ side: 'remote', name })),
    ]);
  });
});

describe('snapshots with optional fields absent (point 5)', () => {
  const base = {
    version: 1, time: '2026-01-02T03:04:05.000Z', host: 'h', user: 'u', paths: ['/x'], tree: 'ab'.repeat(32),
    parent: 'cd'.repeat(32), tags: ['t'], program: 'p',
    stats: { files: 1, dirs: 2, bytes: 3, newBlobs: 4, newBytes: 5, storedBytes: 6, reusedFiles: 7 },
  };

  it('defaults every optional field where it is parsed: absent, or null', () => {
    for (const missing of [undefined, null]) {
      for (const field of ['host', 'user', 'parent', 'tags', 'program']) {
        const parsed = validateSnapshot('snapshots/x', { ...base, [field]: missing });
        expect(parsed).toMatchObject({ host: field === 'host' ? '' : 'h', user: field === 'user' ? '' : 'u', tags: field === 'tags' ? [] : ['t'], program: field === 'program' ? '' : 'p' });
        expect('parent' in parsed).toBe(field !== 'parent');
      }
      for (const counter of ['files', 'dirs', 'bytes', 'newBlobs', 'newBytes', 'storedBytes', 'reusedFiles']) {
        const parsed = validateSnapshot('snapshots/x', { ...base, stats: { ...base.stats, [counter]: missing } });
        expect(parsed.stats).toEqual({ ...base.stats, [counter]: 0 });
      }
    }
    expect(validateSnapshot('snapshots/x', { ...base, stats: {} }).stats).toEqual({ files: 0, dirs: 0, bytes: 0, newBlobs: 0, newBytes: 0, storedBytes: 0, reusedFiles: 0 });
  });

  it('rejects a tree node time that no date can hold (printing or applying it would throw)', () => {
    const tree = (mtimeMs: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ nodes: [{ name: 'a', type: 'symlink', mode: 0o777, mtimeMs, target: 'b' }] }));
    expect(decodeTree('tree x', tree(-1.5e12)).nodes).toHaveLength(1);
    expect(() => decodeTree('tree x', tree(1e300))).toThrow(/bad metadata/);
  });

  it('rejects present fields of the wrong type (a damaged snapshot, not a crash later)', () => {
    for (const bad of [{ host: 7 }, { tags: 'x' }, { tags: [1] }, { parent: 'not hex' }, { program: {} }, { stats: { files: -1 } }, { stats: { bytes: '3' } }]) {
      expect(() => validateSnapshot('snapshots/x', { ...base, ...bad })).toThrow(/invalid snapshot/);
    }
  });
});
