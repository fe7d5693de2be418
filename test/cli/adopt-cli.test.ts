// A folder adopted by name on a second device (issue 10, point 1): device B
// clones, creates the course folder with only some of the files, adds it
// under the same name, scans and syncs. Files not yet on B are not deleted
// on A; B records deletions only once the user confirms them (`scan
// --confirm-deletions`) or after a full restore of the folder.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeSettled } from '../helpers';
import { runOk, shareThroughRemote, twoDevices } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let envA: NodeJS.ProcessEnv;
let envB: NodeJS.ProcessEnv;
let courseA = '';
let courseB = '';

const FILES = Array.from({ length: 8 }, (_, i) => `lesson-${i + 1}.md`);
const content = (name: string): string => `# ${name}\n\nThe lesson ${name}.\n`;

const list = async (path: string): Promise<string[]> => (await readdir(path)).sort();

beforeAll(async () => {
  dir = await tempDir('strata-adopt-cli-');
  ({ envA, envB, courseA, courseB } = twoDevices(dir.path));
  for (const name of FILES) await writeSettled(join(courseA, name), content(name));
  await runOk(['init', '--kdf-n', '1024'], envA);
  await runOk(['add', courseA, '--name', 'course'], envA);
  await shareThroughRemote(dir.path, envA, envB);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('a folder adopted by name on a second device', () => {
  it('does not delete on the first device what the second does not have yet', async () => {
    await mkdir(courseB);
    for (const name of FILES.slice(0, 3)) await writeSettled(join(courseB, name), content(name));
    const add = await runOk(['add', courseB, '--name', 'course'], envB);
    expect(add.stdout).toMatch(/5 files of "course" .*not in this folder/);
    expect(add.stdout).toMatch(/--confirm-deletions/);
    const scan = await runOk(['scan', '--json'], envB);
    const scanned = JSON.parse(scan.stdout) as { versions: unknown[]; notHere: string[] };
    expect(scanned.versions).toEqual([]);
    expect(scanned.notHere).toEqual(FILES.slice(3).map((f) => `course/${f}`));
    await runOk(['sync'], envB);
    await runOk(['sync'], envA);
    expect(await list(courseA)).toEqual(FILES);
    const log = JSON.parse((await runOk(['log', courseA, '--json'], envA)).stdout) as Array<{ op: string }>;
    expect(log.filter((e) => e.op === 'delete')).toEqual([]);
  });

  it('settles other devices\' edits into the files it has, and leaves the others alone', async () => {
    await writeSettled(join(courseA, 'lesson-1.md'), `${content('lesson-1.md')}More from Ada.\n`, 30_000);
    await writeSettled(join(courseA, 'lesson-8.md'), `${content('lesson-8.md')}More from Ada.\n`, 30_000);
    await runOk(['scan'], envA);
    await runOk(['sync'], envA);
    const atB = await runOk(['sync'], envB);
    expect(atB.stdout).toMatch(/updated\s+course\/lesson-1\.md/);
    expect(await list(courseB)).toEqual(FILES.slice(0, 3));
  });

  it('records deletions once the user confirms them', async () => {
    await rm(join(courseB, 'lesson-3.md'));
    const scan = await runOk(['scan', '--json'], envB);
    expect((JSON.parse(scan.stdout) as { versions: unknown[] }).versions).toEqual([]);
    const confirmed = await runOk(['scan', '--confirm-deletions', '--json'], envB);
    const versions = (JSON.parse(confirmed.stdout) as { versions: Array<{ path: string; op: string }> }).versions;
    expect(versions.map((v) => `${v.op} ${v.path}`)).toEqual(['delete lesson-3.md', ...FILES.slice(3).map((f) => `delete ${f}`)]);
    await runOk(['sync'], envB);
    await runOk(['sync'], envA);
    expect(await list(courseA)).toEqual(FILES.slice(0, 2));
  });
});
