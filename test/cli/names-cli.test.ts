// File names as the CLI shows them (issue 10, point 10): a name that is not
// UTF-8 is warned about (its bytes escaped) and counted, in the summary and
// in --json, with exit 6; a name carrying control characters or escape
// sequences is shown escaped by add, scan, log and ls, never sent raw to the
// terminal.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeSettled } from '../helpers';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let course = '';
const RED = 'red\x1b[31mname.md';
const RED_SHOWN = 'red\\x1b[31mname.md';

beforeAll(async () => {
  dir = await tempDir('strata-names-cli-');
  course = join(dir.path, 'course');
  env = cliEnv(join(dir.path, 'repo'), { STRATA_AUTHOR: 'Ada\x1b]0;owned\x07 <ada@example.org>' });
  expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
  await writeSettled(join(course, 'fine.md'), 'fine\n');
  await writeSettled(join(course, RED), 'colourful\n');
  await mkdir(course, { recursive: true });
  await writeFile(Buffer.concat([Buffer.from(course), Buffer.from('/bad'), Buffer.from([0xff]), Buffer.from('.md')]), 'not UTF-8\n');
});
afterAll(async () => {
  await dir.cleanup();
});

describe('names on the command line', () => {
  it('warns about and counts a name that is not UTF-8, and escapes control characters in add, scan and log', async () => {
    const add = await runCli(['add', course], env);
    expect(add.code).toBe(6);
    expect(add.stderr).toMatch(/^warning: bad\\xff\.md: not recorded: its name is not valid UTF-8; rename it to protect it$/m);
    expect(add.stdout).toMatch(/2 new versions, 0 files unchanged; 1 not recorded: their names cannot be/);
    expect(add.stdout).toContain(`add      ${RED_SHOWN}  @1`);
    expect(add.stdout).not.toContain('\x1b');

    const scan = await runCli(['scan', '--json'], env);
    expect(scan.code).toBe(6);
    const json = JSON.parse(scan.stdout) as { unrecordable: string[]; warnings: number };
    expect(json.unrecordable).toEqual(['course/bad\\xff.md']);
    expect(json.warnings).toBe(1);

    const log = await runCli(['log', course], env);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain(`add      ${RED_SHOWN}  added, 1 lines  — Ada\\x1b]0;owned\\x07 <ada@example.org>`);
    expect(log.stdout.includes('\x1b') || log.stdout.includes('\x07')).toBe(false);
    const logJson = JSON.parse((await runCli(['log', course, '--json'], env)).stdout) as Array<{ path: string }>;
    expect(logJson.map((e) => e.path).sort()).toEqual(['fine.md', RED]); // JSON carries the name itself
  });

  it('escapes control characters in a snapshot listing', async () => {
    expect((await runCli(['backup', join(course, RED)], env)).code).toBe(0);
    const ls = await runCli(['ls', 'latest'], env);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain(RED_SHOWN);
    expect(ls.stdout).not.toContain('\x1b');
  });

});
