// Issue 10, point 7: the CLI never writes into its own repository. `add` of a
// folder that holds the repository (or is it, through a link), `restore
// --target` a symbolic link to the repository and `remote add` of a folder in
// it are refused with one line naming the repository (exit 2), and the
// repository is left byte for byte as it was.

import { mkdir, realpath, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotOfDisk, tempDir } from '../helpers';
import { cliEnv, runCli, type CliResult } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let home = '';
let repo = '';
let course = '';
let link = '';

/** The repository's files and their contents (folder times aside: reading may touch them). */
async function repositoryBytes(): Promise<Array<[string, string | undefined]>> {
  return [...(await snapshotOfDisk(repo))].map(([path, entry]) => [path, entry.type === 'dir' ? 'dir' : (entry.sha256 ?? entry.target)]);
}

function expectRefused(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).toContain(repo);
}

beforeAll(async () => {
  dir = await tempDir('strata-guard-cli-');
  const root = await realpath(dir.path);
  home = join(root, 'home');
  repo = join(home, 'Strata');
  course = join(home, 'courses', 'physics');
  link = join(root, 'alias');
  env = cliEnv(repo, { STRATA_AUTHOR: 'Ada <ada@example.org>' });
  expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
  await mkdir(course, { recursive: true });
  // A course file named like the repository's own `config`: restored into the repository, it would replace it.
  await writeFile(join(course, 'config'), 'a course file, not the repository config\n');
  const past = (Date.now() - 60_000) / 1000;
  await utimes(join(course, 'config'), past, past);
  expect((await runCli(['add', course], env)).code).toBe(0);
  expect((await runCli(['backup', course], env)).code).toBe(0);
  await symlink(repo, link);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('the CLI keeps out of its own repository', () => {
  it('refuses to track a folder that holds the repository, or the repository through a link', async () => {
    const before = await repositoryBytes();
    expectRefused(await runCli(['add', home], env), /^strata: cannot track .*: it contains the repository /);
    expectRefused(await runCli(['add', link, '--name', 'alias'], env), /^strata: cannot track .*: it is the repository /);
    expectRefused(await runCli(['add', join(link, 'data')], env), /^strata: cannot track .*: it is inside the repository /);
    expect(await repositoryBytes()).toEqual(before);
    const folders = JSON.parse((await runCli(['folders', '--json'], env)).stdout) as Array<{ name: string }>;
    expect(folders.map((f) => f.name)).toEqual(['physics']);
  });

  it('refuses to restore a snapshot into a link to the repository, leaving it byte for byte', async () => {
    const before = await repositoryBytes();
    expectRefused(await runCli(['restore', 'latest', '--target', link], env), /^strata: cannot restore into .*: it is the repository /);
    expectRefused(await runCli(['restore', 'latest', '--target', join(link, 'restored')], env), /is inside the repository/);
    expect(await repositoryBytes()).toEqual(before);
  });

  it('refuses to restore versions into a link to the repository, leaving it byte for byte', async () => {
    const before = await repositoryBytes();
    expectRefused(await runCli(['restore', join(course, 'config'), '--version', '1', '--target', link], env), /^strata: cannot restore into .*: it is the repository /);
    expectRefused(await runCli(['restore', course, '--at', 'now', '--target', link], env), /is the repository/);
    expect(await repositoryBytes()).toEqual(before);
    expect((await runCli(['check'], env)).code).toBe(0);
  });

  it('refuses a folder remote in the repository, through a link, as the app does', async () => {
    const before = await repositoryBytes();
    expectRefused(await runCli(['remote', 'add', 'usb', join(link, 'backup')], env), /^strata: cannot put a remote in .*: it is inside the repository /);
    expectRefused(await runCli(['remote', 'add', 'usb', '--hot', link, '--no-check'], env), /^strata: cannot put a remote in .*: it is the repository /);
    expectRefused(await runCli(['remote', 'add', 'usb', '--hot', join(home, 'usb'), '--cold', `file://${join(link, 'cold')}`], env), /cannot put a remote in .*cold/);
    expect(await repositoryBytes()).toEqual(before); // no hot/ or cold/ made inside it
    expect(JSON.parse((await runCli(['remote', 'list', '--json'], env)).stdout)).toEqual([]);
    // Beside the repository is fine.
    expect((await runCli(['remote', 'add', 'usb', join(home, 'usb')], env)).code).toBe(0);
  });

  it('still restores next to the repository', async () => {
    const target = join(home, 'restored');
    const restored = await runCli(['restore', join(course, 'config'), '--version', '1', '--target', target], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect((await runCli(['restore', 'latest', '--target', home, '--include', 'physics/config'], env)).code).toBe(0);
  });
});
