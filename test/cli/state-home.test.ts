// This machine's state (tracked folders, remotes, policy, tier state, activity)
// lives in the user's state home, outside the repository folder, which may sit
// on a synced or shared disk (docs/format.md 2.3, 9.1): nothing in the folder
// names a file, a folder or a remote. Old repositories are moved over on first
// use, and a damaged tier state never stops a command.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { machineStateDir } from '../../src/engine/fs/state-home';
import { tempDir, writeSettled } from '../helpers';
import { cliEnv, runCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let repo = '';
let course = '';
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await tempDir('strata-state-home-cli-');
  repo = join(dir.path, 'repo');
  course = join(dir.path, 'Quantum-Optics-7f3');
  env = cliEnv(repo);
  expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
  await writeSettled(join(course, 'syllabus-zq81.md'), '# Syllabus\n');
});
afterEach(async () => {
  await dir.cleanup();
});

/** Every file under `root` (recursively) that contains `text`, as paths relative to it. */
async function filesHolding(root: string, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(Buffer.from(text))) found.push(path.slice(root.length + 1));
  }
  return found;
}

describe("this machine's state, outside the repository folder", () => {
  it('leaves no folder path, file name, course name or remote URL in the repository folder', async () => {
    const remote = join(dir.path, 'remote-disk-k4w');
    expect((await runCli(['add', course], env)).code).toBe(0);
    await writeSettled(join(course, 'syllabus-zq81.md'), '# Syllabus\n\nWeek 1.\n');
    expect((await runCli(['scan'], env)).code).toBe(0);
    expect((await runCli(['remote', 'add', 'disk', remote], env)).code).toBe(0);
    expect((await runCli(['archive', 'Quantum-Optics-7f3'], env)).code).toBe(0);

    for (const secret of [course, 'syllabus-zq81', 'Quantum-Optics-7f3', remote]) expect(await filesHolding(repo, secret)).toEqual([]);
    // The repository folder keeps only a pointer to its state; the state is where the docs say.
    expect(await readdir(join(repo, 'local'))).toEqual(['state-id']);
    const home = process.env.STRATA_STATE_HOME ?? '';
    expect(home).not.toBe('');
    const state = await machineStateDir(repo);
    expect(state.startsWith(`${home}/`)).toBe(true);
    expect(await filesHolding(state, course)).toContain('state.json');
    expect(await filesHolding(state, 'Quantum-Optics-7f3')).toContain('tiers.json');
    // ...and it is this folder's state: the commands still see the folder and the remote.
    expect((await runCli(['remote', 'list'], env)).stdout).toMatch(/disk\s+hot file:\/\/.*remote-disk-k4w\/hot/);
  });

  it('moves an old repository\'s plaintext local/ files to the state home on first use; its folders still work', async () => {
    expect((await runCli(['add', course], env)).code).toBe(0);
    expect((await runCli(['remote', 'add', 'disk', join(dir.path, 'remote')], env)).code).toBe(0);
    expect((await runCli(['archive', 'Quantum-Optics-7f3'], env)).code).toBe(0);
    // The layout before: the same files in <repo>/local/, no pointer, nothing in the state home.
    const state = await machineStateDir(repo);
    const old = join(repo, 'local');
    await writeFile(join(state, 'activity.jsonl'), `${JSON.stringify({ id: '0000000000-aaaa', time: new Date().toISOString(), kind: 'version', title: 'Recorded syllabus-zq81.md' })}\n`);
    await writeFile(join(state, 'tier-state.json'), `${JSON.stringify({ format: 1, reads: {}, evicted: {}, thaws: {} })}\n`);
    const names = (await readdir(state)).filter((n) => n !== 'repository-path').sort();
    expect(names).toEqual(expect.arrayContaining(['activity.jsonl', 'state.json', 'tier-state.json', 'tiers.json']));
    for (const name of names) await rename(join(state, name), join(old, name));
    await rm(join(old, 'state-id'));
    await rm(state, { recursive: true });

    await writeSettled(join(course, 'syllabus-zq81.md'), '# Syllabus\n\nWeek 1.\n');
    const scan = await runCli(['scan'], env);
    expect(scan.stderr).toBe('');
    expect(scan.stdout).toMatch(/edit\s+syllabus-zq81\.md\s+@2/); // the same folder, its history continued (not @1 again)
    expect(await readdir(old)).toEqual(['state-id']);
    const moved = await machineStateDir(repo);
    expect((await readdir(moved)).filter((n) => n !== 'repository-path').sort()).toEqual(names);
    expect(await readFile(join(moved, 'activity.jsonl'), 'utf8')).toMatch(/Recorded syllabus-zq81\.md/);
    expect((await runCli(['remote', 'list'], env)).stdout).toMatch(/^disk\s+hot /);
    expect((JSON.parse((await runCli(['tiers', '--policy', '--json'], env)).stdout) as { policy: { courses: unknown } }).policy.courses).toEqual({ 'Quantum-Optics-7f3': 'archived' });
    for (const secret of [course, 'syllabus-zq81', 'Quantum-Optics-7f3']) expect(await filesHolding(repo, secret)).toEqual([]);
  });

  it('a damaged tier state is moved aside with one warning, and check goes on (exit 0)', async () => {
    expect((await runCli(['add', course], env)).code).toBe(0);
    const state = await machineStateDir(repo);
    await mkdir(state, { recursive: true });
    await writeFile(join(state, 'tier-state.json'), '{"format": 1, "reads": {"data/zz": 7');
    const check = await runCli(['check'], env);
    expect(check.stdout).toMatch(/no problems found/);
    expect(check.code).toBe(0);
    const lines = check.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: this machine's tier state .*tier-state\.json was damaged .*; moved aside to .*tier-state\.json\.damaged-\S+ and started anew/);
    const aside = (await readdir(state)).filter((n) => n.startsWith('tier-state.json.damaged-'));
    expect(aside).toHaveLength(1);
    expect(existsSync(join(state, 'tier-state.json'))).toBe(false);
    // Once: the next command finds no damaged file.
    const again = await runCli(['check'], env);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });
});
