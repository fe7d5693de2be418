// Two devices through one folder remote, as a user runs them: `sync` merges
// concurrent text edits and reports a binary conflict; `conflicts` lists it
// on both devices (plain and --json); a rollback settles it everywhere.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, tempDir, writeSettled } from '../helpers';
import { runOk, shareThroughRemote, twoDevices } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let envA: NodeJS.ProcessEnv;
let envB: NodeJS.ProcessEnv;
let courseA = '';
let courseB = '';
let age = 600_000;

/** Each file written is a second younger than the one before (a scan orders renames by time). */
const put = (path: string, content: string | Uint8Array): Promise<void> => writeSettled(path, content, (age -= 1000));

interface ConflictJson {
  kind: string;
  path: string;
  versions: Array<{ version: number; device: string }>;
}

const NOTES = '# Notes\n\nfirst line\n\nmiddle\n\nlast line\n';

beforeAll(async () => {
  dir = await tempDir('strata-merge-cli-');
  ({ envA, envB, courseA, courseB } = twoDevices(dir.path));
  await put(join(courseA, 'notes.md'), NOTES);
  await put(join(courseA, 'figure.bin'), seededBytes(1, 50_000));
  await runOk(['init', '--kdf-n', '1024'], envA);
  await runOk(['add', courseA, '--name', 'course'], envA);
  await shareThroughRemote(dir.path, envA, envB);
  await mkdir(courseB);
  await runOk(['add', courseB, '--name', 'course', '--no-scan'], envB);
  await runOk(['restore', courseB, '--at', 'now'], envB);
  await runOk(['scan'], envB);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('strata sync and conflicts between two devices', () => {
  it('merges text, reports the binary conflict on both devices, and settles it after a rollback', async () => {
    await put(join(courseA, 'notes.md'), NOTES.replace('first line', 'first line, from Ada'));
    await put(join(courseB, 'notes.md'), NOTES.replace('last line', 'last line, from Bob'));
    await put(join(courseA, 'figure.bin'), seededBytes(2, 50_000));
    await put(join(courseB, 'figure.bin'), seededBytes(3, 52_000));
    await runOk(['scan'], envA);
    await runOk(['scan'], envB);

    await runOk(['sync'], envA);
    const atB = JSON.parse((await runOk(['sync', '--json'], envB)).stdout) as { settled: { versions: Array<{ path: string; op: string }>; conflicts: ConflictJson[] } };
    expect(atB.settled.versions.map((v) => [v.path, v.op])).toEqual([['notes.md', 'merge']]);
    expect(atB.settled.conflicts.map((c) => [c.kind, c.path, c.versions.length])).toEqual([['content', 'figure.bin', 2]]);
    const atA = await runOk(['sync'], envA);
    expect(atA.stdout).toMatch(/updated\s+course\/notes\.md/);
    expect(atA.stderr).toMatch(/conflict: course\/figure\.bin was changed on several devices at once/);
    expect(atA.stderr).toMatch(/keep one: strata rollback .*figure\.bin@N/);

    const merged = NOTES.replace('first line', 'first line, from Ada').replace('last line', 'last line, from Bob');
    expect(await readFile(join(courseA, 'notes.md'), 'utf8')).toBe(merged);
    expect(await readFile(join(courseB, 'notes.md'), 'utf8')).toBe(merged);

    const listA = JSON.parse((await runOk(['conflicts', '--json'], envA)).stdout) as ConflictJson[];
    const listB = JSON.parse((await runOk(['conflicts', '--json'], envB)).stdout) as ConflictJson[];
    expect(listA).toEqual(listB);
    expect(listA.map((c) => c.path)).toEqual(['figure.bin']);
    const plain = await runOk(['conflicts'], envB);
    expect(plain.stdout).toMatch(/@\d+ .*Ada <ada@example\.org>/);
    expect(plain.stdout).toMatch(/@\d+ .*Bob <bob@example\.org>/);

    // Bob keeps Ada's figure.
    const log = JSON.parse((await runOk(['log', join(courseB, 'figure.bin'), '--json'], envB)).stdout) as Array<{ version: number; author: string; op: string }>;
    const fromAda = log.find((e) => e.author.startsWith('Ada') && e.op === 'edit');
    expect(listB[0]?.versions.map((v) => v.version)).toContain(fromAda?.version);
    await runOk(['rollback', `${join(courseB, 'figure.bin')}@${fromAda?.version}`], envB);
    expect((await runOk(['conflicts'], envB)).stdout.trim()).toBe('no conflicts');
    await runOk(['sync'], envB);
    await runOk(['sync'], envA);
    expect((await runOk(['conflicts'], envA)).stdout.trim()).toBe('no conflicts');
    for (const course of [courseA, courseB]) expect(Buffer.compare(await readFile(join(course, 'figure.bin')), Buffer.from(seededBytes(2, 50_000)))).toBe(0);
    // Both devices number the history alike.
    const numbers = async (env: NodeJS.ProcessEnv, course: string): Promise<string[]> =>
      (JSON.parse((await runOk(['log', course, '--json'], env)).stdout) as Array<{ path: string; version: number; op: string; device: string }>).map((e) => `${e.path}@${e.version} ${e.op} ${e.device}`).sort();
    expect(await numbers(envA, courseA)).toEqual(await numbers(envB, courseB));
  });
});
