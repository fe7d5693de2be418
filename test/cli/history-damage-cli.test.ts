// A lost or damaged version batch as a user meets it (issue 10, point 2):
// `log` and `show` still show what they can but name the batches and exit 5
// (`--json` keeps its document on stdout and gives the list on stderr),
// `scan` records nothing on top (no file recorded again as `@1`), `check`
// names the batch; once the batch is back, everything goes on.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFiles, tempDir, writeSettled } from '../helpers';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let course = '';
let repo = '';

beforeAll(async () => {
  dir = await tempDir('strata-history-damage-cli-');
  course = join(dir.path, 'course');
  repo = join(dir.path, 'repo');
  env = cliEnv(repo, { STRATA_AUTHOR: 'Ada <ada@example.org>' });
  expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
  await writeSettled(join(course, 'a.md'), 'one\n');
  await writeSettled(join(course, 'b.md'), 'bee\n');
  expect((await runCli(['add', course], env)).code).toBe(0); // batches 1 (folder) and 2 (first scan)
  await writeSettled(join(course, 'a.md'), 'one two\n');
  expect((await runCli(['scan'], env)).code).toBe(0); // 3
  await writeSettled(join(course, 'a.md'), 'one two three\n');
  expect((await runCli(['scan'], env)).code).toBe(0); // 4
});
afterAll(async () => {
  await dir.cleanup();
});

/** Removes batch `index` (of the sorted names) for the duration of `body`, then puts it back. */
async function without<T>(index: number, body: (names: string[], object: string) => Promise<T>): Promise<T> {
  const names = await batchFiles(repo);
  const lost = names.at(index) as string;
  const saved = await readFile(join(repo, 'versions', lost));
  await rm(join(repo, 'versions', lost));
  try {
    return await body(names, `versions/${lost}`);
  } finally {
    await writeFile(join(repo, 'versions', lost), saved);
  }
}

describe('a missing version batch, from the command line', () => {
  it('log and show still show what they can, name the batch and exit 5; check names it', async () => {
    await without(2, async (names, object) => {
      expect(names).toHaveLength(4);
      const log = await runCli(['log', join(course, 'a.md')], env);
      expect(log.code).toBe(5);
      expect(log.stdout).toMatch(/@1\s+add\s+a\.md/); // what can be read is shown
      expect(log.stderr).toContain(`damaged: ${object}: missing (the batch after it, versions/${names[3] as string}, names it)`);
      expect(log.stderr).toMatch(/history is incomplete/);

      const json = await runCli(['log', join(course, 'a.md'), '--json'], env);
      expect(json.code).toBe(5);
      expect(Array.isArray(JSON.parse(json.stdout))).toBe(true); // the documented array, unchanged
      const event = JSON.parse(json.stderr.trim().split('\n').find((l) => l.startsWith('{')) ?? '{}') as { event?: string; problems?: Array<{ object: string; kind: string }> };
      expect(event.event).toBe('history-incomplete');
      expect(event.problems?.map((p) => [p.object, p.kind])).toEqual([[object, 'missing']]);

      const show = await runCli(['show', join(course, 'b.md')], env);
      expect(show.code).toBe(5);
      expect(show.stdout).toBe('bee\n');

      const check = await runCli(['check'], env);
      expect(check.code).toBe(5);
      expect(check.stderr).toContain(`damaged: ${object}: missing`);
      const checkJson = JSON.parse((await runCli(['check', '--json'], env)).stdout) as { ok: boolean; problems: Array<{ object: string }> };
      expect(checkJson.ok).toBe(false);
      expect(checkJson.problems.map((p) => p.object)).toEqual([object]);
    });
  });

  it('scan records nothing on top of it (no file recorded again as @1); once it is back, scan records edits', async () => {
    await writeSettled(join(course, 'a.md'), 'rewritten while the batch is gone\n');
    await writeSettled(join(course, 'c.md'), 'sea\n');
    await without(2, async (names, object) => {
      const scan = await runCli(['scan'], env);
      expect(scan.code).toBe(5);
      expect(scan.stdout).not.toMatch(/@1/);
      expect(scan.stderr).toMatch(new RegExp(`^strata: the version history could not be read whole: ${object} \\(missing\\)\\..*strata sync`, 'm'));
      expect(scan.stderr).not.toMatch(/\n\s+at /);
      expect(await batchFiles(repo)).toEqual(names.filter((n) => `versions/${n}` !== object));
    });
    // Back (as a sync from a remote that has it would bring it): no warning, and the scan records edits, not new files.
    const healed = await runCli(['log', join(course, 'a.md')], env);
    expect(healed.code).toBe(0);
    expect(healed.stderr).toBe('');
    const rescan = await runCli(['scan'], env);
    expect(rescan.code).toBe(0);
    expect(rescan.stdout).toMatch(/edit\s+a\.md\s+@4/);
    expect(rescan.stdout).toMatch(/add\s+c\.md\s+@1/);
    expect((await runCli(['check'], env)).code).toBe(0);
  });

  it('this device\'s own newest batch, lost, is named by check from this machine\'s state', async () => {
    await without(-1, async (_names, object) => {
      const check = await runCli(['check'], env);
      expect(check.code).toBe(5);
      expect(check.stderr).toContain(`damaged: ${object}: missing (this device wrote it`);
    });
    expect((await runCli(['check'], env)).code).toBe(0);
  });
});
