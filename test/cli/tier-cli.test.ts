// tiers, archive, evict, prefetch, activate and cost as a user runs them, with
// a folder remote that has a hot and a cold part.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyPath } from '../../src/engine/tiers/policy';
import { seededBytes, tempDir, writeSettled } from '../helpers';
import { cliEnv, runCli, startCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

async function files(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

beforeAll(async () => {
  dir = await tempDir('strata-tier-cli-');
  env = cliEnv(join(dir.path, 'repo'));
  const init = await runCli(['init', '--kdf-n', '1024'], env);
  expect(init.stderr).toBe('');
  await writeSettled(join(dir.path, 'physics', 'lecture.mp4'), seededBytes(21, 1_500_000));
  await writeSettled(join(dir.path, 'physics', 'notes.md'), '# Physics\n');
  await writeSettled(join(dir.path, 'history', 'lecture.mov'), seededBytes(22, 1_800_000));
  await writeSettled(join(dir.path, 'history', 'readme.md'), '# History\n');
  for (const c of ['physics', 'history']) {
    const added = await runCli(['add', join(dir.path, c)], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
  }
});
afterAll(async () => {
  await dir.cleanup();
});

describe('strata tiers, archive, evict, cost', () => {
  it('a folder remote gets hot and cold parts; archiving a course moves it cold; evict frees space; reads fetch it back', async () => {
    const remote = join(dir.path, 'disk');
    const add = await runCli(['remote', 'add', 'disk', remote], env);
    expect(add.stdout).toMatch(/hot file:\/\/.*\/disk\/hot, cold file:\/\/.*\/disk\/cold/);
    expect((await runCli(['sync'], env)).code).toBe(0);

    const before = JSON.parse((await runCli(['tiers', '--json'], env)).stdout) as { moves: unknown[]; remote: { tiered: boolean; hot: { objects: number } } };
    expect(before.moves).toEqual([]);
    expect(before.remote.tiered).toBe(true);
    expect(before.remote.hot.objects).toBeGreaterThan(3);

    // The policy file: written with defaults, then edited by the user.
    expect((await runCli(['tiers', '--init-policy'], env)).code).toBe(0);
    const policyFile = await policyPath(join(dir.path, 'repo'));
    const policy = JSON.parse(await readFile(policyFile, 'utf8')) as Record<string, unknown>;
    expect(policy.archivedColdAfterDays).toBe(30);
    await writeFile(policyFile, JSON.stringify({ ...policy, archivedColdAfterDays: 0 }));
    expect((await runCli(['archive', 'nope'], env)).stderr).toMatch(/no course named "nope" \(courses: physics, history\)/);
    expect((await runCli(['archive', 'history'], env)).code).toBe(0);
    const plain = await runCli(['tiers'], env);
    expect(plain.stdout).toMatch(/history\s+archived/);
    expect(plain.stdout).toMatch(/the policy would move \d+ packs .* to cold/);

    const applied = JSON.parse((await runCli(['tiers', '--apply', '--json'], env)).stdout) as { moves: Array<{ name: string }>; migration: { moved: { objects: number } } };
    expect(applied.migration.moved.objects).toBe(applied.moves.length);
    expect((await files(join(remote, 'cold'))).length).toBe(applied.moves.length);
    expect((JSON.parse((await runCli(['tiers', '--json'], env)).stdout) as { moves: unknown[] }).moves).toEqual([]);

    const dry = JSON.parse((await runCli(['evict', '--dry-run', '--json'], env)).stdout) as { evicted: { objects: number } };
    expect(dry.evicted.objects).toBe(applied.moves.length);
    const localPacks = (await files(join(dir.path, 'repo', 'data'))).length;
    expect((await runCli(['evict'], env)).stdout).toMatch(/freed .* in \d+ objects?/);
    expect((await files(join(dir.path, 'repo', 'data'))).length).toBe(localPacks - applied.moves.length);
    expect((await runCli(['check'], env)).code).toBe(0);

    // Costs: the tiered remote costs less than all hot (before anything is read back from cold).
    const cost = JSON.parse((await runCli(['cost', '--json'], env)).stdout) as { savingsPercent: number; allHot: number; perMonth: { total: number; cold: { bytes: number } } };
    expect(cost.perMonth.cold.bytes).toBeGreaterThan(0);
    expect(cost.perMonth.total).toBeLessThan(cost.allHot);
    expect(cost.savingsPercent).toBeGreaterThan(0);
    expect((await runCli(['cost'], env)).stdout).toMatch(/all hot would be \$[\d.]+: saving [\d.]+%/);

    // Active again: what is evicted comes back (prefetch).
    const active = JSON.parse((await runCli(['activate', 'history', '--json'], env)).stdout) as { fetched: { objects: number } };
    expect(active.fetched.objects).toBe(applied.moves.length);
    expect((await files(join(dir.path, 'repo', 'data'))).length).toBe(localPacks);

    // Archived and evicted again: a read of the course fetches what it needs.
    expect((await runCli(['archive', 'history'], env)).code).toBe(0);
    expect((JSON.parse((await runCli(['evict', '--json'], env)).stdout) as { evicted: { objects: number } }).evicted.objects).toBe(applied.moves.length);
    const out = join(dir.path, 'out');
    expect((await runCli(['restore', join(dir.path, 'history'), '--at', 'now', '--target', out], env)).code).toBe(0);
    expect(Buffer.compare(await readFile(join(out, 'lecture.mov')), await readFile(join(dir.path, 'history', 'lecture.mov')))).toBe(0);
    expect((await files(join(dir.path, 'repo', 'data'))).length).toBe(localPacks);

    // A new device from the folder remote alone (its hot and cold parts found by themselves) restores the same bytes.
    const other = cliEnv(join(dir.path, 'other'));
    const clone = await runCli(['clone', remote], other);
    expect(clone.stdout).toMatch(/as a new device/);
    expect((JSON.parse((await runCli(['remote', 'list', '--json'], other)).stdout) as Array<{ cold?: string }>)[0]?.cold).toMatch(/disk\/cold$/);
    expect((await runCli(['check', '--read-data'], other)).code).toBe(0);
    const out2 = join(dir.path, 'out2');
    await mkdir(out2);
    expect((await runCli(['add', out2, '--name', 'history', '--no-scan'], other)).code).toBe(0);
    expect((await runCli(['restore', out2, '--at', 'now'], other)).code).toBe(0);
    expect(Buffer.compare(await readFile(join(out2, 'lecture.mov')), await readFile(join(dir.path, 'history', 'lecture.mov')))).toBe(0);
  });

  it('watch --sync records a save, syncs it, and moves an archived course cold in the background', async () => {
    const home = join(dir.path, 'watching');
    const watchEnv = cliEnv(join(home, 'repo'));
    expect((await runCli(['init', '--kdf-n', '1024'], watchEnv)).code).toBe(0);
    const course = join(home, 'history');
    await writeSettled(join(course, 'lecture.mov'), seededBytes(31, 1_200_000));
    expect((await runCli(['add', course], watchEnv)).code).toBe(0);
    const remote = join(home, 'disk');
    expect((await runCli(['remote', 'add', 'disk', remote], watchEnv)).code).toBe(0);
    await writeFile(await policyPath(join(home, 'repo')), JSON.stringify({ archivedColdAfterDays: 0, courses: { history: 'archived' } }));
    const versionsOnRemote = async (): Promise<number> => (await files(join(remote, 'hot', 'versions'))).length;
    const { child, result } = startCli(['watch', '--sync', '--delay', '200'], watchEnv);
    try {
      // The first sync uploads, then the migration moves the archived course's pack cold.
      await expect.poll(async () => (await files(join(remote, 'cold', 'data'))).length, { timeout: 30_000, interval: 200 }).toBeGreaterThan(0);
      const before = await versionsOnRemote();
      await writeFile(join(course, 'notes.md'), '# Revolutions\n');
      // The save is recorded, and its version batch reaches the remote without a sync command.
      await expect.poll(versionsOnRemote, { timeout: 30_000, interval: 200 }).toBeGreaterThan(before);
    } finally {
      child.kill('SIGINT');
      await result;
    }
    const tiers = JSON.parse((await runCli(['tiers', '--json'], watchEnv)).stdout) as { moves: unknown[]; remote: { cold: { objects: number } } };
    expect(tiers.remote.cold.objects).toBeGreaterThan(0);
    expect(tiers.moves).toEqual([]);
  });

  it('a damaged policy file is named with the setting at fault', async () => {
    const policyFile = await policyPath(join(dir.path, 'repo'));
    await writeFile(policyFile, JSON.stringify({ readKeepsHotDays: 'soon' }));
    const bad = await runCli(['tiers'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/tiers.json: "readKeepsHotDays" must be a number of days/);
  });
});
