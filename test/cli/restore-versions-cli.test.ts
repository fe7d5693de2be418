// Restoring file versions on the command line when not every file can be put
// back (issue 10): damaged data (a pack cut short or gone, point 3) costs the
// files that need it, each named (`damaged: PATH`, exit 5), and in place the
// file on disk stays as it was; a restore target that holds the repository
// (point 7) gets everything but the paths into the repository, each named
// (`refused: PATH`, exit 6), and the repository stays byte for byte.

import { lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repository } from '../../src/engine/repo/repository';
import { backup } from '../../src/engine/snapshot/archiver';
import { LocalBackend } from '../../src/engine/storage/local';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { sessionOf } from '../engine/sessions';
import { damagedTimeline } from '../engine/damaged-timeline';
import { fastKdf, seededBytes, snapshotOfDisk, tempDirPerTest, writeSettled } from '../helpers';
import { cliEnv, runCli, type CliResult } from './run-cli';

const PASS = 'test passphrase'; // what cliEnv gives the CLI
const dir = tempDirPerTest('strata-restore-versions-cli-');

function expectNoCrash(result: CliResult): void {
  expect(result.stderr).not.toMatch(/TypeError|RangeError|past the end|\n\s+at /);
}

const same = async (path: string, bytes: Uint8Array): Promise<boolean> => Buffer.from(await readFile(path)).equals(Buffer.from(bytes));

describe('restore of versions over a damaged pack (point 3)', () => {
  for (const how of ['truncated', 'missing'] as const) {
    it(`names the file a ${how} pack costs (exit 5), restores the rest, and leaves the file in place as it was`, async () => {
      const { session, repoDir, course, at } = await damagedTimeline(dir.path, how, PASS);
      await session.repo.backend.close();
      const env = cliEnv(repoDir);
      const damagedLine = new RegExp(`^damaged: b\\.bin: .*pack is ${how}`, 'm');

      const out = join(dir.path, 'out');
      const elsewhere = await runCli(['restore', course, '--at', at.toISOString(), '--target', out], env);
      expectNoCrash(elsewhere);
      expect(elsewhere.code).toBe(5);
      expect(elsewhere.stderr).toMatch(damagedLine);
      expect(elsewhere.stdout).toMatch(/^wrote {4}a\.bin$/m);
      expect(elsewhere.stdout).toMatch(/1 written, 0 removed, 1 not restored/);
      expect(await same(join(out, 'a.bin'), seededBytes(1, 150_000))).toBe(true);
      expect(await readdir(out)).toEqual(['a.bin']);

      const json = await runCli(['--json', 'restore', course, '--at', at.toISOString(), '--target', join(dir.path, 'json')], env);
      expect(json.code).toBe(5);
      const document = JSON.parse(json.stdout) as { written: string[]; damaged: Array<{ path: string; message: string }>; refused: unknown[] };
      expect(document.written).toEqual(['a.bin']);
      expect(document.damaged.map((d) => d.path)).toEqual(['b.bin']);
      expect(document.refused).toEqual([]);

      const one = await runCli(['restore', join(course, 'b.bin'), '--version', '1', '--target', join(dir.path, 'one')], env);
      expectNoCrash(one);
      expect(one.code).toBe(5);
      expect(one.stderr).toMatch(damagedLine);

      const inPlace = await runCli(['restore', course, '--at', at.toISOString()], env);
      expectNoCrash(inPlace);
      expect(inPlace.code).toBe(5);
      expect(inPlace.stderr).toMatch(damagedLine);
      expect(inPlace.stdout).toMatch(/^removed {2}c\.bin/m);
      expect(await same(join(course, 'a.bin'), seededBytes(1, 150_000))).toBe(true);
      expect(await same(join(course, 'b.bin'), seededBytes(4, 170_000))).toBe(true); // left as it was
      expect(existsSync(join(course, 'c.bin'))).toBe(false);
    });
  }
});

/** What a restore must leave as it was: every file, folder, mode and mtime in the repository, and its root's own. */
async function repositoryState(repoDir: string): Promise<unknown> {
  const root = await lstat(repoDir);
  return { entries: [...(await snapshotOfDisk(repoDir))], mode: root.mode, mtimeMs: root.mtimeMs };
}

describe('restore into a folder that holds the repository (point 7)', () => {
  /** `home` holds the repository at home/Strata; `src/home` has a folder of that name with a `config` in it, and other files. */
  async function setup(): Promise<{ repo: Repository; repoDir: string; home: string; source: string }> {
    const home = join(dir.path, 'home');
    const repoDir = join(home, 'Strata');
    const repo = await Repository.init(await LocalBackend.create(repoDir), PASS, { kdf: fastKdf() });
    const source = join(dir.path, 'src', 'home');
    await mkdir(join(source, 'Strata'), { recursive: true });
    await writeSettled(join(source, 'Strata', 'config'), 'not the repository config\n');
    await writeSettled(join(source, 'notes.txt'), 'notes\n');
    return { repo, repoDir, home, source };
  }

  it('a snapshot restore skips the folder that is the repository, names it (exit 6), and restores the rest', async () => {
    const { repo, repoDir, home, source } = await setup();
    await backup(repo, { paths: [source] });
    await repo.backend.close();
    expect((await runCli(['snapshots'], cliEnv(repoDir))).code).toBe(0); // the first open leaves what every open needs
    const before = await repositoryState(repoDir);
    const result = await runCli(['restore', 'latest', '--target', dir.path], cliEnv(repoDir));
    expectNoCrash(result);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^refused: home\/Strata\/: it is the repository .*; a restore never writes there$/m);
    expect(result.stdout).toMatch(/restored 1 files/);
    expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('notes\n');
    expect(await repositoryState(repoDir)).toEqual(before);

    const json = await runCli(['--json', 'restore', 'latest', '--target', dir.path], cliEnv(repoDir));
    expect(json.code).toBe(6);
    expect((JSON.parse(json.stdout) as { refused: Array<{ path: string }> }).refused.map((r) => r.path)).toEqual(['home/Strata/']);
    expect(await repositoryState(repoDir)).toEqual(before);
  });

  it('a restore of versions names each path into the repository (exit 6) and restores the rest', async () => {
    const { repo, repoDir, home, source } = await setup();
    const session = await sessionOf(repo, repoDir);
    await addFolder(session, source, 'home');
    await scan(session, [], { settleMs: 0 });
    await repo.backend.close();
    expect((await runCli(['folders'], cliEnv(repoDir))).code).toBe(0); // the first open leaves what every open needs
    const before = await repositoryState(repoDir);
    const result = await runCli(['restore', source, '--at', 'now', '--target', home], cliEnv(repoDir));
    expectNoCrash(result);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^refused: Strata\/config: it is inside the repository /m);
    expect(result.stdout).toMatch(/^wrote {4}notes\.txt$/m);
    expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('notes\n');
    expect(await repositoryState(repoDir)).toEqual(before);
  });
});
