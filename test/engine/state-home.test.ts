// Where a repository's machine state lives (fs/state-home.ts): the state home
// chosen from the environment, one private folder per repository named by the
// repository folder's pointer, which moves with the folder; a copied folder
// gets state of its own; the older layout is moved over without losing a file.
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMachineStateDir, machineStateDir, stateHome } from '../../src/engine/fs/state-home';
import { TierState } from '../../src/engine/tiers/tier-state';
import { LocalState } from '../../src/engine/versions/local-state';
import { tempDirPerTest } from '../helpers';

const tmp = tempDirPerTest('strata-state-home-');

describe('the state home', () => {
  it('is $STRATA_STATE_HOME, else $XDG_STATE_HOME/strata (if absolute), else the platform\'s place', () => {
    expect(stateHome({ STRATA_STATE_HOME: '/s', XDG_STATE_HOME: '/x' }, 'linux')).toBe('/s');
    expect(stateHome({ XDG_STATE_HOME: '/x' }, 'linux')).toBe('/x/strata');
    expect(stateHome({ XDG_STATE_HOME: 'relative' }, 'linux')).toBe(join(homedir(), '.local', 'state', 'strata'));
    expect(stateHome({}, 'linux')).toBe(join(homedir(), '.local', 'state', 'strata'));
    expect(stateHome({}, 'darwin')).toBe(join(homedir(), 'Library', 'Application Support', 'strata', 'state'));
    expect(stateHome({ LOCALAPPDATA: '/appdata' }, 'win32')).toBe(join('/appdata', 'strata', 'state'));
  });

  it('holds one private folder per repository; looking one up where there is none makes nothing', async () => {
    const nowhere = join(tmp.path, 'no-repository');
    expect(await findMachineStateDir(nowhere)).toBeUndefined();
    expect(existsSync(nowhere)).toBe(false);

    const repo = join(tmp.path, 'repo');
    const dir = await machineStateDir(repo);
    expect(dir).toBe(join(process.env.STRATA_STATE_HOME ?? '', (await readFile(join(repo, 'local', 'state-id'), 'utf8')).trim()));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await findMachineStateDir(repo)).toBe(dir);
    expect(await machineStateDir(join(tmp.path, 'other'))).not.toBe(dir);
  });
});

describe('moved and copied repository folders', () => {
  it('a moved folder keeps its state; a copy gets state of its own and a device of its own, the original keeps its', async () => {
    const repo = join(tmp.path, 'repo');
    const course = join(tmp.path, 'course');
    const original = await LocalState.load(repo);
    await original.folders.add({ id: 'f'.repeat(32), name: 'course', path: course, tracked: true });
    const dir = await machineStateDir(repo);

    const moved = join(tmp.path, 'moved');
    await rename(repo, moved);
    expect(await machineStateDir(moved)).toBe(dir);
    expect((await LocalState.load(moved)).folders.list().map((f) => f.path)).toEqual([course]);

    const copy = join(tmp.path, 'copy');
    await cp(moved, copy, { recursive: true });
    const copied = await LocalState.load(copy);
    expect(await machineStateDir(copy)).not.toBe(dir);
    expect(copied.folders.list().map((f) => f.path)).toEqual([course]); // this machine's settings come along
    const again = await LocalState.load(moved);
    expect(copied.batches.device).not.toBe(again.batches.device);
    expect(await machineStateDir(moved)).toBe(dir); // the original's state is still its own
    expect((await LocalState.load(moved)).batches.device).toBe(again.batches.device);
  });
});

describe('the older layout (plaintext files in <repository>/local/)', () => {
  it('is moved into the state folder; a file the state folder already holds wins, the differing old one is kept beside it', async () => {
    const repo = join(tmp.path, 'repo');
    const dir = await machineStateDir(repo);
    await writeFile(join(dir, 'tiers.json'), '{"archivedColdAfterDays": 1}\n');
    await writeFile(join(repo, 'local', 'tiers.json'), '{"archivedColdAfterDays": 2}\n');
    await writeFile(join(repo, 'local', 'activity.jsonl'), '{"id":"x"}\n');
    await writeFile(join(repo, 'local', 'state.json.0123456789ab~'), 'a torn write, in plaintext');
    await mkdir(join(repo, 'local', 'kept-dir'));

    expect(await findMachineStateDir(repo)).toBe(dir);
    expect((await readdir(join(repo, 'local'))).sort()).toEqual(['kept-dir', 'state-id']);
    expect(await readFile(join(dir, 'tiers.json'), 'utf8')).toBe('{"archivedColdAfterDays": 1}\n');
    expect(await readFile(join(dir, 'activity.jsonl'), 'utf8')).toBe('{"id":"x"}\n');
    const kept = (await readdir(dir)).filter((n) => n.startsWith('tiers.json.from-repository-folder-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0] ?? ''), 'utf8')).toBe('{"archivedColdAfterDays": 2}\n');
  });
});

describe('a damaged tier state (a cache of this machine)', () => {
  it('is moved aside and started anew, told once in one line', async () => {
    const repo = join(tmp.path, 'repo');
    const dir = await machineStateDir(repo);
    await writeFile(join(dir, 'tier-state.json'), JSON.stringify({ format: 1, reads: { 'data/x\n\u001b[2Jrewritten': { last: 1, recent: [] } } }));
    const notices: string[] = [];
    const state = await TierState.load(repo, (m) => notices.push(m));
    expect(state.evicted().size).toBe(0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).not.toMatch(/\p{Cc}/u);
    expect(notices[0]).toMatch(/was damaged \(reads of data\/x\\x0a\\x1b\[2Jrewritten\); moved aside to .*tier-state\.json\.damaged-/);
    expect((await readdir(dir)).filter((n) => n.startsWith('tier-state.json'))).toEqual([expect.stringMatching(/^tier-state\.json\.damaged-/)]);
    await TierState.load(repo, (m) => notices.push(m));
    expect(notices).toHaveLength(1);
  });
});
