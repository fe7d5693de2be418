// What an explicit scan records (issue 10, points 13 and 10): a file saved
// the moment before is recorded (it holds still while read; only background
// passes wait for a quiet time), and a name that cannot be recorded (bytes
// that are not UTF-8, a backslash) is warned about and counted, never
// passed over in silence.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initRepositoryAt } from '../../src/engine/repo/location';
import { escapeName } from '../../src/engine/versions/scanner';
import { addFolder, scan } from '../../src/engine/ops/folders';
import type { Session } from '../../src/engine/ops/session';
import { sessionOf } from './sessions';
import { fastKdf, tempDir, writeSettled } from '../helpers';

let dir: { path: string; cleanup: () => Promise<void> };
let course = '';
let session: Session;

beforeEach(async () => {
  dir = await tempDir('strata-scan-now-');
  course = join(dir.path, 'course');
  await mkdir(course);
  const repoDir = join(dir.path, 'repo');
  session = await sessionOf(await initRepositoryAt(repoDir, 'scan now passphrase', { kdf: fastKdf() }), repoDir);
  await addFolder(session, course);
});
afterEach(async () => {
  await dir.cleanup();
});

describe('an explicit scan', () => {
  it('records a file saved the moment before; a background pass with a quiet time waits for it', async () => {
    await writeFile(join(course, 'notes.md'), 'just saved\n');
    const savedAt = (await stat(join(course, 'notes.md'))).mtimeMs;
    const background = await scan(session, [], { settleMs: 2000, now: () => savedAt });
    expect(background.settling).toEqual(['course/notes.md']);
    const explicit = await scan(session, [], { now: () => savedAt });
    expect(explicit.versions.map((v) => `${v.op} ${v.path}`)).toEqual(['add notes.md']);
    expect(explicit.settling).toEqual([]);
  });

  it('warns about and counts a file whose name is not UTF-8, and a folder', async () => {
    await writeSettled(join(course, 'fine.md'), 'fine\n');
    const bad = Buffer.concat([Buffer.from(course), Buffer.from('/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.md')]);
    await writeFile(bad, 'unprotected?\n');
    await mkdir(Buffer.concat([Buffer.from(course), Buffer.from('/week'), Buffer.from([0xe9])]));
    await writeFile(Buffer.concat([Buffer.from(course), Buffer.from('/week'), Buffer.from([0xe9]), Buffer.from('/inside.md')]), 'inside\n');
    await writeSettled(join(course, 'back\\slash.md'), 'x\n');
    const warnings: string[] = [];
    const result = await scan(session, [], { onWarning: (path, message) => warnings.push(`${path}: ${message}`) });
    expect(result.versions.map((v) => v.path)).toEqual(['fine.md']);
    expect(result.unrecordable).toEqual(['course/back\\slash.md', 'course/bad\\xff\\xfe.md', 'course/week\\xe9']);
    expect(result.warnings).toBe(3);
    expect(warnings.sort()).toEqual([
      'back\\slash.md: not recorded: its name cannot be recorded (a backslash, or too long); rename it to protect it',
      'bad\\xff\\xfe.md: not recorded: its name is not valid UTF-8; rename it to protect it',
      'week\\xe9: not recorded: its name is not valid UTF-8, nor anything in it; rename it to protect it',
    ]);
  });

  it('shows the bytes of a name that is not UTF-8 as \\xNN, keeping its valid characters', () => {
    expect(escapeName(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x2d, 0xe9, 0x2e, 0xf0, 0x9f, 0x98]))).toBe('café-\\xe9.\\xf0\\x9f\\x98');
    expect(escapeName(Buffer.from('plain'))).toBe('plain');
  });
});
