// Damage as the user meets it on the command line (issue 10): a pack cut short
// or gone costs the files it held, named, with exit status 5 (point 3); stray
// files other programs drop into the repository are ignored with one warning
// each (point 4); snapshots without their optional fields list, show and
// restore (point 5).

import { mkdir, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobType, fromHex } from '../../src/engine/repo/format';
import { Repository } from '../../src/engine/repo/repository';
import { backup } from '../../src/engine/snapshot/archiver';
import { loadTree } from '../../src/engine/snapshot/snapshots';
import { LocalBackend } from '../../src/engine/storage/local';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { sessionOf } from '../engine/sessions';
import { fastKdf, seededBytes, tempDirPerTest, writeSettled } from '../helpers';
import { cliEnv, runCli, type CliResult } from './run-cli';

const PASS = 'test passphrase'; // what cliEnv gives the CLI
const dir = tempDirPerTest('strata-damage-cli-');

const packPath = (repoDir: string, pack: string): string => join(repoDir, 'data', pack.slice(0, 2), pack);

/** A repository with folder a and folder b backed up separately (b's data in its own pack), then both. */
async function twoFolders(): Promise<{ repoDir: string; dataPacksOfB: string[] }> {
  const repoDir = join(dir.path, 'repo');
  const repo = await Repository.init(await LocalBackend.create(repoDir), PASS, { kdf: fastKdf(), packSize: 1024 * 1024 });
  const source = join(dir.path, 'src');
  await mkdir(join(source, 'a'), { recursive: true });
  await mkdir(join(source, 'b'), { recursive: true });
  await writeFile(join(source, 'a', 'one.bin'), seededBytes(1, 300 * 1024));
  await writeFile(join(source, 'b', 'two.bin'), seededBytes(2, 300 * 1024));
  await backup(repo, { paths: [join(source, 'a')] });
  const packsOfA = new Set([...repo.index.entries()].map((e) => e.pack));
  await backup(repo, { paths: [join(source, 'b')] });
  const dataPacksOfB = [...new Set([...repo.index.entries()].filter((e) => e.type === BlobType.data && !packsOfA.has(e.pack)).map((e) => e.pack))];
  await backup(repo, { paths: [source] });
  await repo.backend.close();
  return { repoDir, dataPacksOfB };
}

/** Cuts a pack into its blobs (not just its trailer, which reads by the index do not need), or removes it. */
async function damage(path: string, how: 'truncated' | 'missing'): Promise<void> {
  if (how === 'truncated') await truncate(path, Math.floor((await stat(path)).size / 3));
  else await rm(path);
}

function expectNoCrash(result: CliResult): void {
  expect(result.stderr).not.toMatch(/TypeError|RangeError|past the end|\n\s+at /);
}

describe('a truncated or missing pack (point 3)', () => {
  for (const how of ['truncated', 'missing'] as const) {
    it(`restore of a snapshot names the file a ${how} pack costs (exit 5) and restores the rest`, async () => {
      const { repoDir, dataPacksOfB } = await twoFolders();
      for (const pack of dataPacksOfB) await damage(packPath(repoDir, pack), how);
      const target = join(dir.path, 'restored');
      const result = await runCli(['restore', 'latest', '--target', target], cliEnv(repoDir));
      expectNoCrash(result);
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/^damaged: src\/b\/two\.bin: /m);
      expect(result.stdout).toMatch(/restored 1 files/);
      expect((await readFile(join(target, 'src', 'a', 'one.bin'))).length).toBe(300 * 1024);
      expect(await readdir(join(target, 'src', 'b'))).toEqual([]);

      const checked = await runCli(['check'], cliEnv(repoDir));
      expect(checked.code).toBe(5);
      for (const pack of dataPacksOfB) expect(checked.stderr).toContain(`damaged: data/${pack.slice(0, 2)}/${pack}: pack is ${how === 'missing' ? 'missing' : ''}`);
    });

    it(`show and restore of a file version whose pack is ${how}: damaged data (exit 5), not a crash`, async () => {
      const repoDir = join(dir.path, 'repo');
      const repo = await Repository.init(await LocalBackend.create(repoDir), PASS, { kdf: fastKdf() });
      const course = join(dir.path, 'course');
      await writeSettled(join(course, 'clip.bin'), seededBytes(5, 200_000));
      const session = await sessionOf(repo, repoDir);
      await addFolder(session, course);
      await scan(session);
      const record = (await session.versions()).history.allFiles()[0]?.versions[0];
      const chunk = record?.content?.[0];
      if (!chunk) throw new Error('no chunk');
      await repo.ensureIndex();
      const pack = repo.index.get(fromHex(chunk))?.pack as string;
      await repo.backend.close();
      await damage(packPath(repoDir, pack), how);

      const shown = await runCli(['show', `${join(course, 'clip.bin')}@1`], cliEnv(repoDir));
      expectNoCrash(shown);
      expect(shown.code).toBe(5);
      expect(shown.stderr).toMatch(/damaged/);
      const restored = await runCli(['restore', join(course, 'clip.bin'), '--version', '1', '--target', join(dir.path, 'out')], cliEnv(repoDir));
      expectNoCrash(restored);
      expect(restored.code).toBe(5);
      expect(restored.stderr).toMatch(/damaged/);
    });
  }
});

/** What other programs leave in folders they sync or browse. */
const STRAYS = ['data/.DS_Store', 'data/ab/x~', 'index/desktop.ini', 'keys/.DS_Store', 'snapshots/.DS_Store', 'snapshots/.foo.tmp', 'snapshots/x~', 'versions/.DS_Store'];

async function plantStrays(root: string): Promise<void> {
  for (const name of STRAYS) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), 'not a Strata object');
  }
}

/** The stray warnings on stderr: one line per stray. */
function strayLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('warning: ignoring '));
}

describe('stray files in the repository (point 4)', () => {
  it('every command ignores them with one warning line each; sync does not copy them', async () => {
    const repoDir = join(dir.path, 'repo');
    const env = cliEnv(repoDir);
    const course = join(dir.path, 'course');
    await writeSettled(join(course, 'lesson.md'), '# Lesson\n');
    expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
    expect((await runCli(['backup', course], env)).code).toBe(0);
    expect((await runCli(['add', course], env)).code).toBe(0);
    await plantStrays(repoDir);

    const listed = await runCli(['snapshots'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/course/);
    const lines = strayLines(listed.stderr);
    expect(lines).toEqual(STRAYS.filter((n) => /^(keys|snapshots)\//.test(n)).map((n) => expect.stringContaining(n)));
    expect(lines[0]).toMatch(/not a repository object/);

    const restored = await runCli(['restore', 'latest', '--target', join(dir.path, 'restored')], env);
    expect(restored.code).toBe(0);
    expect(await readFile(join(dir.path, 'restored', 'course', 'lesson.md'), 'utf8')).toBe('# Lesson\n');

    const log = await runCli(['log', join(course, 'lesson.md')], env);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/@1/);
    expect(strayLines(log.stderr).some((line) => line.includes('versions/.DS_Store'))).toBe(true);

    const checked = await runCli(['check', '--read-data'], env);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/no problems found/);
    expect(strayLines(checked.stderr).sort()).toEqual([...STRAYS].sort().map((n) => expect.stringContaining(n)));

    const repaired = await runCli(['repair', 'index'], env);
    expect(repaired.code).toBe(0);
    expect(repaired.stderr).not.toMatch(/damaged/);

    const remoteDir = join(dir.path, 'remote');
    expect((await runCli(['remote', 'add', 'origin', '--hot', remoteDir], env)).code).toBe(0);
    const synced = await runCli(['sync'], env);
    expect(synced.code).toBe(0);
    expect(strayLines(synced.stderr).length).toBeGreaterThan(0);
    const remoteSnapshots = await readdir(join(remoteDir, 'snapshots'));
    expect(remoteSnapshots.every((n) => /^[0-9a-f]{64}$/.test(n))).toBe(true);
    await expect(stat(join(remoteDir, 'data', '.DS_Store'))).rejects.toThrow();
  });
});

describe('snapshots with optional fields absent (point 5)', () => {
  const OPTIONAL = ['host', 'user', 'parent', 'tags', 'program', 'stats.files', 'stats.dirs', 'stats.bytes', 'stats.newBlobs', 'stats.newBytes', 'stats.storedBytes', 'stats.reusedFiles', 'stats (empty)'];

  it('snapshots, ls and restore work without each optional field', async () => {
    const repoDir = join(dir.path, 'repo');
    // Small chunks, so that big.bin has more than fit inline in its tree node: a list blob instead.
    const chunker = { algorithm: 'fastcdc-2020' as const, minSize: 4096, avgSize: 16384, maxSize: 65536, normalization: 2 };
    const repo = await Repository.init(await LocalBackend.create(repoDir), PASS, { kdf: fastKdf(), chunker });
    const course = join(dir.path, 'course');
    await writeSettled(join(course, 'lesson.md'), '# Lesson\n');
    await writeSettled(join(course, 'big.bin'), seededBytes(9, 1536 * 1024));
    const { snapshot: full } = await backup(repo, { paths: [course] });
    const courseNode = (await loadTree(repo, full.tree)).nodes[0];
    const nodes = courseNode?.type === 'dir' ? (await loadTree(repo, courseNode.subtree)).nodes : [];
    expect(nodes.find((n) => n.name === 'big.bin')).toHaveProperty('contentList'); // and lesson.md has `content`
    const ids = new Map<string, string>();
    for (const field of OPTIONAL) {
      const value: Record<string, unknown> = { ...full, parent: 'ab'.repeat(32), stats: { ...full.stats } };
      if (field === 'stats (empty)') value.stats = {};
      else if (field.startsWith('stats.')) delete (value.stats as Record<string, unknown>)[field.slice(6)];
      else delete value[field];
      ids.set(field, await repo.writeJson('snapshot', value));
    }
    await repo.backend.close();
    const env = cliEnv(repoDir);

    const listed = await runCli(['snapshots'], env);
    expectNoCrash(listed);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(OPTIONAL.length + 2); // header, the full one, one per field
    const json = await runCli(['snapshots', '--json'], env);
    expect(json.code).toBe(0);
    for (const s of JSON.parse(json.stdout) as Array<{ host: unknown; tags: unknown; stats: Record<string, unknown> }>) {
      expect(typeof s.host).toBe('string');
      expect(Array.isArray(s.tags)).toBe(true);
      expect(Object.values(s.stats).every((n) => typeof n === 'number')).toBe(true);
    }
    for (const [field, id] of ids) {
      const ls = await runCli(['ls', id.slice(0, 8)], env);
      expectNoCrash(ls);
      expect([field, ls.code]).toEqual([field, 0]);
      expect(ls.stdout).toContain('/course/lesson.md');
      const target = join(dir.path, `restored-${field.replace(/\W/g, '-')}`);
      const restored = await runCli(['restore', id.slice(0, 8), '--target', target], env);
      expectNoCrash(restored);
      expect([field, restored.code]).toEqual([field, 0]);
      expect(await readFile(join(target, 'course', 'lesson.md'), 'utf8')).toBe('# Lesson\n');
      expect((await readFile(join(target, 'course', 'big.bin'))).length).toBe(1536 * 1024);
    }
  }, 300_000); // 28 runs of the CLI
});
