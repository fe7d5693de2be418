// remote add|list|remove, sync and clone as a user runs them, with a folder remote.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let envA: NodeJS.ProcessEnv;
let envB: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await tempDir('strata-remote-cli-');
  envA = cliEnv(join(dir.path, 'A'));
  envB = cliEnv(join(dir.path, 'B'));
  expect((await runCli(['init', '--kdf-n', '1024'], envA)).code).toBe(0);
  await mkdir(join(dir.path, 'course'));
  await writeFile(join(dir.path, 'course', 'lesson.md'), '# One\n');
  expect((await runCli(['backup', join(dir.path, 'course')], envA)).code).toBe(0);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('strata remote, sync and clone', () => {
  it('adds a folder remote, syncs, and a clone restores the same files', async () => {
    const remote = join(dir.path, 'remote');
    const add = await runCli(['remote', 'add', 'disk', '--hot', remote], envA);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/added remote "disk": hot file:\/\//);
    const list = JSON.parse((await runCli(['remote', 'list', '--json'], envA)).stdout) as Array<{ name: string; hot: string }>;
    expect(list.map((r) => r.name)).toEqual(['disk']);
    const run = await runCli(['sync', '--json'], envA);
    const sync = JSON.parse(run.stdout) as { uploaded: { objects: number }; downloaded: { objects: number } };
    // Progress as JSON lines on stderr, ending with everything done.
    const events = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string; done: number; total: number; direction: string });
    expect(events.at(-1)).toMatchObject({ event: 'sync-progress', direction: 'upload', done: sync.uploaded.objects, total: sync.uploaded.objects });
    expect(sync.uploaded.objects).toBeGreaterThan(3);
    expect(sync.downloaded.objects).toBe(0);
    const clone = await runCli(['clone', `file://${remote}`], envB);
    expect(clone.code).toBe(0);
    expect(clone.stdout).toMatch(/as a new device; remote "origin" added/);
    expect((await runCli(['restore', 'latest', '--target', join(dir.path, 'out')], envB)).code).toBe(0);
    expect(await readFile(join(dir.path, 'out', 'course', 'lesson.md'), 'utf8')).toBe('# One\n');
    // A wrong passphrase is refused before anything is downloaded.
    const { existsSync } = await import('node:fs');
    const wrong = await runCli(['clone', `file://${remote}`], { ...cliEnv(join(dir.path, 'C')), STRATA_PASSPHRASE: 'not it' });
    expect(wrong.code).toBe(4);
    expect(existsSync(join(dir.path, 'C'))).toBe(false);
    // Cloning again into the same place refuses, saying why.
    const again = await runCli(['clone', `file://${remote}`], envB);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/a repository already exists/);
  });

  it('gives clear errors for bad remotes', async () => {
    const bad = await runCli(['remote', 'add', 'x', '--hot', 'ftp://host/path'], envA);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unsupported remote URL/);
    const badS3 = await runCli(['remote', 'add', 'y', '--hot', 's3://Bad_Bucket'], envA);
    expect(badS3.stderr).toMatch(/bad bucket name/);
    const unreachable = await runCli(['remote', 'add', 'z', '--hot', 's3://bucket/p?endpoint=http://127.0.0.1:9'], { ...envA, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toMatch(/unreachable/);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
    const dup = await runCli(['remote', 'add', 'disk', '--hot', join(dir.path, 'elsewhere')], envA);
    expect(dup.stderr).toMatch(/a remote named "disk" exists/);
    expect((await runCli(['remote', 'remove', 'disk'], envA)).stdout).toMatch(/removed remote "disk"/);
    const none = await runCli(['sync'], envA);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no remote yet/);
  });

  it('a sync killed at random moments continues on the next run; both sides pass check', async () => {
    const course = join(dir.path, 'media');
    await mkdir(course);
    const { seededBytes } = await import('../helpers');
    for (let i = 0; i < 12; i++) await writeFile(join(course, `clip-${i}.bin`), seededBytes(100 + i, 1_500_000));
    expect((await runCli(['backup', course], envA)).code).toBe(0);
    const remote = join(dir.path, 'killed-remote');
    expect((await runCli(['remote', 'add', 'k', '--hot', remote], envA)).code).toBe(0);
    const { startCli } = await import('./run-cli');
    let seed = 5;
    for (let round = 0; round < 4; round++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const { child, result } = startCli(['sync', 'k'], envA);
      setTimeout(() => child.kill('SIGKILL'), 150 + (seed % 400));
      await result;
      // Whatever a killed sync left is a repository that passes check (or none yet).
      const partial = await runCli(['check'], { ...envA, STRATA_REPO: remote });
      expect([0, 3]).toContain(partial.code);
    }
    expect((await runCli(['sync', 'k'], envA)).code).toBe(0);
    const again = JSON.parse((await runCli(['sync', 'k', '--json'], envA)).stdout) as { uploaded: { objects: number }; downloaded: { objects: number } };
    expect([again.uploaded.objects, again.downloaded.objects]).toEqual([0, 0]);
    const remoteCheck = await runCli(['check', '--read-data'], { ...envA, STRATA_REPO: remote });
    expect(remoteCheck.stdout).toMatch(/no problems found/);
    expect((await runCli(['check'], envA)).code).toBe(0);
  });
});
