// Crash safety at known moments: real `strata` processes SIGKILL themselves at
// a chosen object write (STRATA_TEST_CRASH_AT, see crash-points.ts), at every
// stage of a backup, a scan and a passphrase change: before anything is
// stored, between a temp file and its rename, after packs but before their
// index, after the index but before the commit, and right after the commit.
// After each kill `check` passes and everything committed is intact; running
// the command again completes. The kills land on any machine, loaded or not.
// Also: two backups running at once on one repository.

import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, snapshotOfDisk, tempDir, writeSettled, type DiskEntry } from '../helpers';
import { runUntilCrash, tempFiles } from './crash-points';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('strata-crash-');
});
afterAll(async () => {
  await dir.cleanup();
});

interface Committed {
  id: string;
  image: Map<string, DiskEntry>;
}

interface Version {
  path: string;
  version: number;
  op: string;
  sha256?: string;
}

/** Versions as `path@N op sha256`, sorted: what a comparison needs, without times or devices. */
function described(versions: Version[]): string[] {
  return versions.map((v) => `${v.path}@${v.version} ${v.op}${v.sha256 ? ` ${v.sha256}` : ''}`).sort();
}

function sha(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * One crash point per stage of a commit. Valid for any packing (how many packs
 * a run stores depends on timing): every run below stores at least one pack,
 * then one index object, then the commit (`snapshots/` for a backup,
 * `versions/` for a scan), in that order.
 */
function stagesOf(commit: 'snapshots/' | 'versions/'): string[] {
  return [
    'put:1:mid:data/', // the first pack's temp file written and synced, not renamed
    'put:1:before:index/', // every pack stored, none indexed
    'put:1:after:index/', // indexed, not committed
    `put:1:mid:${commit}`, // the commit's temp file left behind
    `put:1:after:${commit}`, // committed, but the process died before saying so
  ];
}

/** Exit 0, and what `check --json` counted. */
async function checked(env: NodeJS.ProcessEnv, after: string): Promise<{ snapshots: number }> {
  const check = await runCli(['check', '--json'], env);
  expect(check.code, `check after a crash at ${after}: ${check.stderr}`).toBe(0);
  return JSON.parse(check.stdout) as { snapshots: number };
}

async function expectRestored(env: NodeJS.ProcessEnv, snapshot: string, image: Map<string, DiskEntry>): Promise<void> {
  const target = join(dir.path, `restored-${snapshot.slice(0, 12)}`);
  const restored = await runCli(['restore', snapshot, '--target', target], env);
  expect(restored.code, restored.stderr).toBe(0);
  expect(await snapshotOfDisk(join(target, 'course'))).toEqual(image);
  await rm(target, { recursive: true, force: true });
}

// Correctness never depends on time here; the limit only has to outlast a very busy machine.
const SLOW_MACHINE_MS = 600_000;

describe.concurrent('crash safety', () => {
  it('survives SIGKILL at every stage of a backup', { timeout: SLOW_MACHINE_MS }, async () => {
    const repo = join(dir.path, 'repo');
    const env = cliEnv(repo);
    const course = join(dir.path, 'backup', 'course');
    await mkdir(course, { recursive: true });
    await writeFile(join(course, 'video.mp4'), seededBytes(1, 3_000_000));
    await writeFile(join(course, 'notes.txt'), 'start\n');
    expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
    const committed: Committed[] = [];
    const backup = async (): Promise<void> => {
      const run = await runCli(['backup', course, '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      committed.push({ id: (JSON.parse(run.stdout) as { snapshot: string }).snapshot, image: await snapshotOfDisk(course) });
    };
    await backup();

    const stages = ['put:1:before', ...stagesOf('snapshots/')];
    for (const [round, spec] of stages.entries()) {
      await writeFile(join(course, `part-${round}.bin`), seededBytes(100 + round, 1_500_000));
      await writeFile(join(course, 'notes.txt'), `round ${round}\n`);
      const temps = (await tempFiles(repo)).length;
      await runUntilCrash(['backup', course, '--quiet'], env, spec);
      // A kill between a temp file and its rename leaves that file (and those of puts in flight beside it).
      if (spec.includes(':mid:')) expect((await tempFiles(repo)).length, spec).toBeGreaterThan(temps);
      // Every snapshot committed before is still there (check reads each one), and the crashed one only if it was stored.
      const diedAfterCommit = spec === 'put:1:after:snapshots/';
      expect((await checked(env, spec)).snapshots, spec).toBe(committed.length + (diedAfterCommit ? 1 : 0));
      // Running it again completes (the disk is the same: a snapshot that landed has this image too).
      await backup();
      if (diedAfterCommit) committed.push({ id: '', image: committed.at(-1)?.image ?? new Map() });
    }

    const check = await runCli(['check', '--read-data'], env);
    expect(check.code, check.stderr).toBe(0);
    const ids = JSON.parse((await runCli(['snapshots', '--json'], env)).stdout) as Array<{ id: string }>;
    expect(ids).toHaveLength(committed.length);
    // The first snapshot, the one whose process died right after storing it, and the last restore byte for byte.
    const died = committed.find((c) => c.id === '');
    if (died) died.id = ids.map((s) => s.id).find((id) => !committed.some((c) => c.id === id)) ?? '';
    for (const snapshot of [committed[0], died, committed.at(-1)]) {
      expect(snapshot?.id).toMatch(/^[0-9a-f]{64}$/);
      if (snapshot) await expectRestored(env, snapshot.id, snapshot.image);
    }
  });

  it('survives SIGKILL at every stage of a scan', { timeout: SLOW_MACHINE_MS }, async () => {
    const repo = join(dir.path, 'repo-scan');
    const env = cliEnv(repo);
    const course = join(dir.path, 'scan', 'course');
    await writeSettled(join(course, 'notes.md'), '# Notes\n');
    await writeSettled(join(course, 'video.mp4'), seededBytes(7, 600_000));
    expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
    expect((await runCli(['add', course], env)).code).toBe(0);
    const history = async (): Promise<string[]> => {
      const log = await runCli(['log', course, '--json'], env);
      expect(log.code, log.stderr).toBe(0);
      return described(JSON.parse(log.stdout) as Version[]);
    };
    let notes = '# Notes\n';
    let recorded = [`notes.md@1 add ${sha(notes)}`, `video.mp4@1 add ${sha(seededBytes(7, 600_000))}`];
    expect(await history()).toEqual(recorded);

    for (const [round, spec] of stagesOf('versions/').entries()) {
      // Each round: an edit and a new file, and from the third on a deletion.
      notes += `round ${round}\n`;
      const clip = seededBytes(200 + round, 300_000);
      await writeSettled(join(course, 'notes.md'), notes);
      await writeSettled(join(course, `clip-${round}.bin`), clip);
      const expected = [`notes.md@${round + 2} edit ${sha(notes)}`, `clip-${round}.bin@1 add ${sha(clip)}`];
      if (round >= 2) {
        await unlink(join(course, `clip-${round - 2}.bin`));
        expected.push(`clip-${round - 2}.bin@2 delete`);
      }
      await runUntilCrash(['scan'], env, spec);
      await checked(env, spec);

      // Running it again records each change once: nothing if the crashed scan's batch landed, else all of them.
      const rerun = await runCli(['scan', '--json'], env);
      expect(rerun.code, `scan after a crash at ${spec}: ${rerun.stderr}`).toBe(0);
      const batchLanded = spec === 'put:1:after:versions/';
      expect(described((JSON.parse(rerun.stdout) as { versions: Version[] }).versions), spec).toEqual(batchLanded ? [] : expected.sort());
      recorded = [...recorded, ...expected].sort();
    }

    // No version recorded along the way was lost, none was recorded twice, and their content reads back.
    expect(await history()).toEqual(recorded);

    const check = await runCli(['check', '--read-data'], env);
    expect(check.code, check.stderr).toBe(0);
    expect((await runCli(['show', `${join(course, 'notes.md')}@1`], env)).stdout).toBe('# Notes\n');
    expect((await runCli(['show', join(course, 'notes.md')], env)).stdout).toBe(notes);
  });

  it('survives SIGKILL while a passphrase changes: the old one opens until the new one does', { timeout: SLOW_MACHINE_MS }, async () => {
    const repo = join(dir.path, 'repo-keys');
    const env = (passphrase: string): NodeJS.ProcessEnv => cliEnv(repo, { STRATA_PASSPHRASE: passphrase });
    let current = 'passphrase 0';
    expect((await runCli(['init', '--kdf-n', '1024'], env(current))).code).toBe(0);
    for (const [round, moment] of (['before', 'mid', 'after'] as const).entries()) {
      const next = `passphrase ${round + 1}`;
      const change = ['key', 'passwd', '--kdf-n', '1024'];
      await runUntilCrash(change, { ...env(current), STRATA_NEW_PASSPHRASE: next }, `put:1:${moment}:keys/`);
      expect((await runCli(['check'], env(next))).code, `the new passphrase after a crash ${moment} its slot`).toBe(moment === 'after' ? 0 : 4);
      // The slot in use is deleted only after the new one is stored: the old passphrase still opens, and the change completes.
      const rerun = await runCli(change, { ...env(current), STRATA_NEW_PASSPHRASE: next });
      expect(rerun.code, `the old passphrase after a crash ${moment} the new slot: ${rerun.stderr}`).toBe(0);
      current = next;
    }
    expect((await runCli(['check'], env(current))).code).toBe(0);
    expect((await runCli(['check'], env('passphrase 0'))).code).toBe(4);
  });

  it('lets two backups run at once on one repository', { timeout: SLOW_MACHINE_MS }, async () => {
    const repo = join(dir.path, 'repo-concurrent');
    const env = cliEnv(repo);
    const source = join(dir.path, 'concurrent');
    for (let d = 0; d < 3; d++) {
      await mkdir(join(source, `module-${d}`), { recursive: true });
      for (let f = 0; f < 6; f++) await writeFile(join(source, `module-${d}`, `file-${f}.bin`), seededBytes(d * 100 + f + 1, (f % 3) * 256 * 1024 + 1000));
      await writeFile(join(source, `module-${d}`, 'video.mp4'), seededBytes(d + 1000, 4 * 1024 * 1024));
    }
    expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
    const [a, b] = await Promise.all([
      runCli(['backup', join(source, 'module-0'), join(source, 'module-1'), '--json'], env),
      runCli(['backup', join(source, 'module-1'), join(source, 'module-2'), '--json'], env),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const check = await runCli(['check', '--read-data'], env);
    expect(check.code, check.stderr).toBe(0);
    const snapshots = JSON.parse((await runCli(['snapshots', '--json'], env)).stdout) as unknown[];
    expect(snapshots).toHaveLength(2);
    const target = join(dir.path, 'restored-concurrent');
    expect((await runCli(['restore', 'latest', '--target', target], env)).code).toBe(0);
  });
});
