// The `strata` command line end to end, as a user runs it: real processes,
// real folders, exit statuses and one-line errors.

import { spawnSync } from 'node:child_process';
import { readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdgeCaseTree, seededBytes, snapshotOfDisk, tempDir } from '../helpers';
import { cliEnv, runCli, STRATA_BIN } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let repo: string;
let source: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await tempDir('strata-cli-');
  repo = join(dir.path, 'repo');
  source = join(dir.path, 'course');
  await buildEdgeCaseTree(source);
  env = cliEnv(repo);
  const init = await runCli(['init', '--kdf-n', '1024'], env);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('strata CLI', () => {
  it('prints help that lists the commands and exit codes', async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['init', 'backup', 'snapshots', 'ls', 'restore', 'check', 'stats', 'key', 'repair', 'serve']) {
      expect(help.stdout).toContain(command);
    }
    expect(help.stdout).toContain('Exit status');
  });

  it('backs up, lists, restores and checks', async () => {
    const backup = await runCli(['backup', source, '--json'], env);
    expect(backup.code).toBe(0);
    const parsed = JSON.parse(backup.stdout) as { snapshot: string; stats: { files: number; bytes: number } };
    expect(parsed.snapshot).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.stats.files).toBeGreaterThan(30);

    const plain = await runCli(['backup', source], env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^snapshot [0-9a-f]{8} saved\n$/);

    const snapshots = JSON.parse((await runCli(['snapshots', '--json'], env)).stdout) as Array<{ id: string; parent?: string }>;
    expect(snapshots).toHaveLength(2);
    expect(snapshots[1]?.parent).toBe(snapshots[0]?.id);

    const ls = JSON.parse((await runCli(['ls', parsed.snapshot.slice(0, 8), '--json'], env)).stdout) as Array<{ path: string; type: string }>;
    expect(ls.some((e) => e.path === '/course/lesson.md' && e.type === 'file')).toBe(true);
    expect(ls.some((e) => e.path === '/course/link-to-lesson' && e.type === 'symlink')).toBe(true);

    const target = join(dir.path, 'restored');
    const restore = await runCli(['restore', 'latest', '--target', target], env);
    expect(restore.code).toBe(0);
    expect(await snapshotOfDisk(join(target, 'course'))).toEqual(await snapshotOfDisk(source));

    const check = await runCli(['check', '--read-data'], env);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('no problems found');

    const stats = JSON.parse((await runCli(['stats', '--json'], env)).stdout) as { snapshots: number; dedupSavings: number };
    expect(stats.snapshots).toBe(2);
    expect(stats.dedupSavings).toBeGreaterThan(0.4);
  });

  it('says "wrong passphrase" in one line and exits 4', async () => {
    const result = await runCli(['snapshots'], cliEnv(repo, { STRATA_PASSPHRASE: 'nope' }));
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^strata: wrong passphrase[^\n]*\n$/);
    expect(result.stderr).not.toContain('    at ');
  });

  it('exits 3 when there is no repository, and 2 without a location', async () => {
    const missing = await runCli(['snapshots'], cliEnv(join(dir.path, 'nowhere')));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no repository/);
    const env2 = cliEnv('');
    delete env2.STRATA_REPO;
    const noLocation = await runCli(['snapshots'], env2);
    expect(noLocation.code).toBe(2);
    expect(noLocation.stderr).toMatch(/--repo/);
  });

  it('refuses to initialise twice', async () => {
    const again = await runCli(['init', '--kdf-n', '1024'], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('reads the passphrase from STRATA_PASSPHRASE_FILE', async () => {
    const file = join(dir.path, 'pass.txt');
    await writeFile(file, 'test passphrase\n');
    const result = await runCli(['snapshots', '--json'], cliEnv(repo, { STRATA_PASSPHRASE: '', STRATA_PASSPHRASE_FILE: file }));
    expect(result.code).toBe(0);
  });

  it('adds, lists, changes and removes passphrases without re-encrypting data', async () => {
    const keyRepo = join(dir.path, 'keyrepo');
    const e = cliEnv(keyRepo);
    expect((await runCli(['init', '--kdf-n', '1024'], e)).code).toBe(0);
    const small = join(dir.path, 'small');
    await mkdir(small);
    await writeFile(join(small, 'a.txt'), 'hello');
    expect((await runCli(['backup', small], e)).code).toBe(0);
    const packsBefore = await readdir(join(keyRepo, 'data'), { recursive: true });

    const added = await runCli(['key', 'add', '--kdf-n', '1024', '--json'], { ...e, STRATA_NEW_PASSPHRASE: 'second one' });
    expect(added.code).toBe(0);
    const second = { ...e, STRATA_PASSPHRASE: 'second one' };
    const keys = JSON.parse((await runCli(['key', 'list', '--json'], second)).stdout) as Array<{ id: string; current: boolean }>;
    expect(keys).toHaveLength(2);
    const original = keys.find((k) => !k.current);
    if (!original) throw new Error('no other key');
    // The key in use cannot be removed.
    const self = keys.find((k) => k.current);
    expect((await runCli(['key', 'remove', self?.id ?? ''], second)).code).toBe(2);
    expect((await runCli(['key', 'remove', original.id.slice(0, 8)], second)).code).toBe(0);
    expect((await runCli(['snapshots'], e)).code).toBe(4); // the first passphrase is gone

    const changed = await runCli(['key', 'passwd', '--kdf-n', '1024'], { ...second, STRATA_NEW_PASSPHRASE: 'third' });
    expect(changed.code).toBe(0);
    expect((await runCli(['snapshots'], second)).code).toBe(4);
    const third = { ...e, STRATA_PASSPHRASE: 'third' };
    const target = join(dir.path, 'keyrestore');
    expect((await runCli(['restore', 'latest', '--target', target], third)).code).toBe(0);
    expect(await readFile(join(target, 'small', 'a.txt'), 'utf8')).toBe('hello');
    expect(await readdir(join(keyRepo, 'data'), { recursive: true })).toEqual(packsBefore);
  });

  it('exits 5 and names the object when check finds damage', async () => {
    const damagedRepo = join(dir.path, 'damaged');
    const e = cliEnv(damagedRepo);
    expect((await runCli(['init', '--kdf-n', '1024'], e)).code).toBe(0);
    expect((await runCli(['backup', source], e)).code).toBe(0);
    const sub = (await readdir(join(damagedRepo, 'data')))[0] as string;
    const pack = (await readdir(join(damagedRepo, 'data', sub)))[0] as string;
    const path = join(damagedRepo, 'data', sub, pack);
    const bytes = await readFile(path);
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const result = await runCli(['check', '--read-data'], e);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`data/${sub}/${pack}`);
    const restored = await runCli(['restore', 'latest', '--target', join(dir.path, 'damaged-restore')], e);
    expect(restored.code).toBe(5);
    expect(restored.stderr).toContain(`data/${sub}/${pack}`);
    expect(restored.stderr).not.toContain('    at ');
  });

  it('shows progress (bytes, rate, ETA) on a terminal and nothing but the result when piped', async () => {
    const big = join(dir.path, 'big-course');
    await mkdir(big);
    for (let i = 0; i < 6; i++) await writeFile(join(big, `lecture-${i}.mp4`), seededBytes(i + 50, 12 * 1024 * 1024));
    const progressRepo = join(dir.path, 'progress-repo');
    const e = cliEnv(progressRepo);
    expect((await runCli(['init', '--kdf-n', '1024'], e)).code).toBe(0);
    // `script` gives the command a pseudo-terminal, as a user's shell would.
    const tty = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(STRATA_BIN)} backup ${JSON.stringify(big)}`, '/dev/null'], { env: e, encoding: 'utf8', timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/backup .*\d+% \| \d+ files \| [\d.]+ \w+ of 72\.0 MiB \| [\d.]+ \w+\/s \| ETA/);
    const piped = await runCli(['backup', big, '--force'], e);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^snapshot [0-9a-f]{8} saved\n$/);
    expect(piped.stderr).not.toMatch(/%|ETA/);
  });

  it('gives a usage error for unknown commands', async () => {
    const result = await runCli(['frobnicate'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command/);
  });
});
