// A folder adopted by name on a second device with older copies of some files
// (an export from last month): each copy whose content is an earlier version
// of its file is behind, not an edit. `add` records nothing for it and says
// so; the next `sync` puts the current version in place on B; A's newer files
// are never replaced by B's old copies. A file edited on B is recorded as an
// edit, as usual.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeSettled } from '../helpers';
import { runOk, shareThroughRemote, twoDevices } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let envA: NodeJS.ProcessEnv;
let envB: NodeJS.ProcessEnv;
let courseA = '';
let courseB = '';

const lesson = (n: number): string => `# Lesson 1\n\nDraft ${n} of the lesson.\n`;
const diagram = (n: number): Uint8Array => Uint8Array.from({ length: 5000 }, (_, i) => (i * 13 + n * 101) % 256);

beforeAll(async () => {
  dir = await tempDir('strata-adopt-older-cli-');
  ({ envA, envB, courseA, courseB } = twoDevices(dir.path));
  await runOk(['init', '--kdf-n', '1024'], envA);
  for (let n = 1; n <= 3; n++) {
    const age = 600_000 - n * 60_000;
    await writeSettled(join(courseA, 'lesson-1.md'), lesson(n), age);
    await writeSettled(join(courseA, 'diagram.bin'), diagram(n), age);
    if (n === 1) {
      await writeSettled(join(courseA, 'notes.md'), 'Notes.\n', age);
      await runOk(['add', courseA, '--name', 'course'], envA);
    } else {
      await runOk(['scan'], envA);
    }
  }
  await shareThroughRemote(dir.path, envA, envB);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('a folder adopted by name with older copies of its files', () => {
  it('records no edit for a copy of an earlier version, and the next sync puts the current version in place', async () => {
    // Last month's export on B: version 1 of the lesson and the diagram; the notes edited on B.
    await writeSettled(join(courseB, 'lesson-1.md'), lesson(1));
    await writeSettled(join(courseB, 'diagram.bin'), diagram(1));
    await writeSettled(join(courseB, 'notes.md'), 'Notes.\nAnd Bob\'s.\n');
    const add = await runOk(['add', courseB, '--name', 'course'], envB);
    expect(add.stdout).toMatch(/behind\s+course\/lesson-1\.md\s+\(the copy here is version 1 of 3/);
    expect(add.stdout).toMatch(/behind\s+course\/diagram\.bin\s+\(the copy here is version 1 of 3/);
    expect(add.stdout).toMatch(/edit\s+notes\.md\s+@2/);
    expect(add.stdout).not.toMatch(/lesson-1\.md\s+@/);
    const scan = JSON.parse((await runOk(['scan', '--json'], envB)).stdout) as { versions: unknown[] };
    expect(scan.versions).toEqual([]);

    const atB = await runOk(['sync'], envB);
    expect(atB.stdout).toMatch(/updated\s+course\/lesson-1\.md\s+to the current version \(the copy here was version 1\)/);
    expect(await readFile(join(courseB, 'lesson-1.md'), 'utf8')).toBe(lesson(3));
    expect(new Uint8Array(await readFile(join(courseB, 'diagram.bin')))).toEqual(diagram(3));

    const atA = await runOk(['sync'], envA);
    expect(atA.stdout).toMatch(/updated\s+course\/notes\.md/);
    expect(atA.stdout).not.toMatch(/lesson-1|diagram/);
    expect(await readFile(join(courseA, 'lesson-1.md'), 'utf8')).toBe(lesson(3));
    expect(new Uint8Array(await readFile(join(courseA, 'diagram.bin')))).toEqual(diagram(3));
    expect(await readFile(join(courseA, 'notes.md'), 'utf8')).toBe('Notes.\nAnd Bob\'s.\n');
    const log = JSON.parse((await runOk(['log', join(courseA, 'lesson-1.md'), '--json'], envA)).stdout) as Array<{ version: number; author: string }>;
    expect(log.map((e) => `${e.version} ${e.author}`)).toEqual(['3 Ada <ada@example.org>', '2 Ada <ada@example.org>', '1 Ada <ada@example.org>']);
  });
});
