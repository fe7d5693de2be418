// The version-history commands as a user runs them: add, scan, log, show,
// tag, folders, remove, config; JSON output and exit codes.
import { mkdir, rename, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let course = '';

async function put(rel: string, content: string): Promise<void> {
  const path = join(course, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  const t = (Date.now() - 60_000) / 1000;
  await utimes(path, t, t);
}

beforeAll(async () => {
  dir = await tempDir('strata-versions-cli-');
  course = join(dir.path, 'physics');
  env = cliEnv(join(dir.path, 'repo'), { STRATA_AUTHOR: 'Ada <ada@example.org>' });
  expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
  await put('intro.md', '# Waves\n\nSound is a wave.\n');
});
afterAll(async () => {
  await dir.cleanup();
});

describe('strata version commands', () => {
  it('tracks a folder, records edits and renames, and shows every version', async () => {
    const add = await runCli(['add', course], env);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/tracking "physics"/);
    expect(add.stdout).toMatch(/add\s+intro\.md\s+@1\s+added, 3 lines/);

    await put('intro.md', '# Waves\n\nSound is a longitudinal wave.\nLight is not.\n');
    const scan = await runCli(['scan', '--json'], env);
    expect(scan.code).toBe(0);
    const scanned = JSON.parse(scan.stdout) as { versions: Array<{ path: string; version: number; summary: string; author: string }> };
    expect(scanned.versions.map((v) => [v.path, v.version, v.summary, v.author])).toEqual([['intro.md', 2, '+2 -1 lines', 'Ada <ada@example.org>']]);

    await rename(join(course, 'intro.md'), join(course, 'waves.md'));
    expect((await runCli(['scan', '-m', 'clearer name', '--meta', 'reviewer=Bob', 'week=2', '--tag', 'week2'], env)).stdout).toMatch(/rename\s+waves\.md\s+@3/);
    expect((await runCli(['scan', '--meta', 'novalue'], env)).stderr).toMatch(/--meta takes KEY=VALUE/);
    expect((await runCli(['scan'], env)).stdout).toMatch(/no changes/);

    const log = await runCli(['log', join(course, 'waves.md'), '--json'], env);
    expect(log.code).toBe(0);
    const entries = JSON.parse(log.stdout) as Array<{ version: number; op: string; message?: string; path: string }>;
    expect(entries.map((e) => `${e.version} ${e.op} ${e.path}`)).toEqual(['3 rename waves.md', '2 edit intro.md', '1 add intro.md']);
    expect(entries[0]?.message).toBe('clearer name');
    const first = JSON.parse(log.stdout)[0] as { meta: Record<string, string>; tags: string[] };
    expect(first.meta).toEqual({ reviewer: 'Bob', week: '2' });
    expect(first.tags).toEqual(['week2']);

    const show = await runCli(['show', `${join(course, 'waves.md')}@1`], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toBe('# Waves\n\nSound is a wave.\n');

    expect((await runCli(['tag', `${join(course, 'waves.md')}@2`, 'reviewed'], env)).code).toBe(0);
    const tagged = await runCli(['log', course, '--tag', 'reviewed'], env);
    expect(tagged.stdout).toMatch(/@2\s+edit\s+intro\.md.*\[reviewed\]/);

    const folders = JSON.parse((await runCli(['folders', '--json'], env)).stdout) as Array<{ name: string; files: number; versions: number; tracked: boolean }>;
    expect(folders.map((f) => [f.name, f.files, f.versions, f.tracked])).toEqual([['physics', 1, 3, true]]);
  });

  it('records a file saved just before an explicit scan (it holds still while read: no quiet time)', async () => {
    await writeFile(join(course, 'fresh.md'), 'saved a moment ago\n');
    // Dated a minute ahead, so that however slowly the command starts, a quiet-time rule would see a save made just now.
    const ahead = (Date.now() + 60_000) / 1000;
    await utimes(join(course, 'fresh.md'), ahead, ahead);
    const scan = await runCli(['scan', '--json'], env);
    const json = JSON.parse(scan.stdout) as { versions: Array<{ path: string; op: string }>; settling: string[] };
    expect(json.versions.map((v) => `${v.op} ${v.path}`)).toEqual(['add fresh.md']);
    expect(json.settling).toEqual([]);
  });

  it('gives one clear line and a documented exit code for bad requests', async () => {
    const outside = await runCli(['log', join(dir.path, 'elsewhere.md')], env);
    expect(outside.code).toBe(1);
    expect(outside.stderr.trim()).toMatch(/^strata: .*is not in a tracked folder/);
    const noVersion = await runCli(['show', `${join(course, 'waves.md')}@99`], env);
    expect(noVersion.stderr).toMatch(/has no version 99/);
    expect(noVersion.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const badTime = await runCli(['log', course, '--since', 'soonish'], env);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/cannot read the time "soonish"/);
    const badKey = await runCli(['config', 'set', 'colour', 'blue'], env);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/unknown setting "colour"/);
  });

  it('sets the author, and stops tracking a folder while keeping its history', async () => {
    const noEnv = { ...env };
    delete noEnv.STRATA_AUTHOR;
    expect((await runCli(['config', 'set', 'author', 'Grace <grace@example.org>'], noEnv)).code).toBe(0);
    expect((await runCli(['config', 'get', 'author'], noEnv)).stdout.trim()).toBe('Grace <grace@example.org>');
    expect((await runCli(['remove', 'physics'], env)).stdout).toMatch(/stopped tracking "physics"/);
    const scan = await runCli(['scan'], env);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toMatch(/no folders are tracked/);
    expect((await runCli(['log', course], env)).stdout).toMatch(/waves\.md/);
  });

  it('restores versions elsewhere from an untracked folder, and refuses to roll back into it', async () => {
    const out = join(dir.path, 'out');
    const restored = await runCli(['restore', join(course, 'waves.md'), '--version', '1', '--target', out], env);
    expect(restored.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(join(out, 'waves.md'), 'utf8')).toBe('# Waves\n\nSound is a wave.\n');
    const rollback = await runCli(['rollback', `${join(course, 'waves.md')}@1`], env);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toMatch(/not tracked any more/);
    const both = await runCli(['restore', join(course, 'waves.md'), '--version', '1', '--at', 'now'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --version N and --at TIME/);
    const snapshotNoTarget = await runCli(['restore', 'latest'], env);
    expect(snapshotNoTarget.code).toBe(2);
    expect(snapshotNoTarget.stderr).toMatch(/needs --target/);
    expect((await runCli(['--version'], env)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
