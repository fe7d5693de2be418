// `strata repair versions` as a user runs it (issue 10): a version batch lost
// everywhere (no remote has it) blocks every scan; `--dry-run` lists it and
// says to try `strata sync` first, recording nothing; without `--yes` and
// off a terminal it refuses; `--yes` records the loss, after which scans
// work, `check` passes and names the accepted loss, `log` mentions it, and
// another device that syncs accepts it too. A damaged batch the same, left in
// place unless moved aside on purpose.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFiles, tempDir, writeSettled } from '../helpers';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('strata-repair-versions-cli-');
});
afterAll(async () => {
  await dir.cleanup();
});

/** A repository with a tracked course and four batches: folder, first scan, two edits of a.md. */
async function fourBatches(name: string): Promise<{ repo: string; course: string; env: NodeJS.ProcessEnv; names: string[] }> {
  const repo = join(dir.path, name, 'repo');
  const course = join(dir.path, name, 'course');
  const env = cliEnv(repo, { STRATA_AUTHOR: 'Ada <ada@example.org>' });
  expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
  await writeSettled(join(course, 'a.md'), 'one\n');
  await writeSettled(join(course, 'b.md'), 'bee\n');
  expect((await runCli(['add', course], env)).code).toBe(0);
  await writeSettled(join(course, 'a.md'), 'one two\n');
  expect((await runCli(['scan'], env)).code).toBe(0);
  await writeSettled(join(course, 'a.md'), 'one two three\n');
  expect((await runCli(['scan'], env)).code).toBe(0);
  const names = await batchFiles(repo);
  expect(names).toHaveLength(4);
  return { repo, course, env, names };
}

const count = (text: string, part: string): number => text.split(part).length - 1;

describe('strata repair versions: a missing batch no remote has', () => {
  it('lists, refuses without confirmation, records with --yes; scan, check, log and another device go on', async () => {
    const { repo, course, env, names } = await fourBatches('missing');
    const remote = join(dir.path, 'missing', 'remote');
    expect((await runCli(['remote', 'add', 'disk', '--hot', remote], env)).code).toBe(0);
    expect((await runCli(['sync'], env)).code).toBe(0);
    const repoB = join(dir.path, 'missing', 'B');
    const envB = cliEnv(repoB);
    expect((await runCli(['clone', `file://${remote}`], envB)).code).toBe(0);
    const lost = names[2] as string;
    const object = `versions/${lost}`;
    for (const root of [repo, remote, repoB]) await rm(join(root, 'versions', lost));

    await writeSettled(join(course, 'a.md'), 'one two three four\n');
    expect((await runCli(['scan'], env)).code).toBe(5);

    const dry = await runCli(['repair', 'versions', '--dry-run'], env);
    expect(dry.code).toBe(5);
    expect(dry.stdout).toContain(`missing  ${object}`);
    expect(dry.stdout).toMatch(/strata sync/);
    expect(dry.stdout).toMatch(/nothing was recorded/);
    expect(await batchFiles(repo)).toEqual(names.filter((n) => n !== lost));
    const dryJson = JSON.parse((await runCli(['repair', 'versions', '--dry-run', '--json'], env)).stdout) as { dryRun: boolean; lost: Array<{ batch: string; reason: string }>; recorded: string | null };
    expect(dryJson).toMatchObject({ dryRun: true, recorded: null, lost: [{ batch: object, reason: 'missing' }] });

    const unconfirmed = await runCli(['repair', 'versions'], env); // stdin is not a terminal
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    expect(await batchFiles(repo)).toEqual(names.filter((n) => n !== lost));

    const repaired = await runCli(['repair', 'versions', '--yes'], env);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(object);
    const after = await batchFiles(repo);
    expect(after).toHaveLength(4);
    expect(repaired.stdout).toContain(`versions/${after[3] as string}`);

    const scan = await runCli(['scan'], env);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toMatch(/edit\s+a\.md\s+@3/);

    const check = await runCli(['check'], env);
    expect(check.code).toBe(0);
    expect(count(check.stderr, object)).toBe(1);
    expect(check.stderr).toMatch(/accepted as lost/);
    expect(check.stdout).toMatch(/no problems found/);
    const checkJson = JSON.parse((await runCli(['check', '--json'], env)).stdout) as { ok: boolean; losses: Array<{ batch: string }> };
    expect(checkJson.ok).toBe(true);
    expect(checkJson.losses.map((l) => l.batch)).toEqual([object]);

    const log = await runCli(['log', join(course, 'a.md')], env);
    expect(log.code).toBe(0);
    expect(count(log.stderr, object)).toBe(1);
    expect(log.stdout).toMatch(/@3\s+edit/);

    const again = await runCli(['repair', 'versions', '--dry-run'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to record/);

    // The other device: refused before the record arrives, accepting after its sync.
    expect((await runCli(['check'], envB)).code).toBe(5);
    expect((await runCli(['sync'], env)).code).toBe(0);
    const syncB = await runCli(['sync'], envB);
    expect(syncB.code).toBe(0);
    const checkB = await runCli(['check'], envB);
    expect(checkB.code).toBe(0);
    expect(checkB.stderr).toContain(object);
    expect(checkB.stderr).toMatch(/accepted as lost/);
  });
});

describe('strata repair versions: a damaged batch', () => {
  it('records it, leaves the object in place (saying so), and moves it aside only when asked', async () => {
    const { repo, course, env, names } = await fourBatches('damaged');
    const victim = names[2] as string;
    const object = `versions/${victim}`;
    const path = join(repo, 'versions', victim);
    const bytes = Buffer.from(await readFile(path));
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
    await writeFile(path, bytes);

    const dry = await runCli(['repair', 'versions', '--dry-run'], env);
    expect(dry.code).toBe(5);
    expect(dry.stdout).toContain(`damaged  ${object}`);

    const repaired = await runCli(['repair', 'versions', '--yes'], env);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/left in place/);
    expect(await readFile(path)).toEqual(bytes);

    await writeSettled(join(course, 'b.md'), 'bee two\n');
    const scan = await runCli(['scan'], env);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toMatch(/edit\s+b\.md\s+@2/);
    const check = await runCli(['check'], env);
    expect(check.code).toBe(0);
    expect(check.stderr).toMatch(new RegExp(`${object} is lost \\(damaged\\), accepted as lost`));

    const inside = await runCli(['repair', 'versions', '--move-aside', join(repo, 'aside')], env);
    expect(inside.code).toBe(2);
    expect(await readFile(path)).toEqual(bytes);
    const aside = join(dir.path, 'damaged', 'aside');
    const moved = await runCli(['repair', 'versions', '--move-aside', aside], env);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`moved aside: ${object} -> ${join(aside, victim)}`);
    expect(await readFile(join(aside, victim))).toEqual(bytes);
    expect(await batchFiles(repo)).not.toContain(victim);
    expect((await runCli(['check'], env)).code).toBe(0);
  });
});
