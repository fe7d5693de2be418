// This machine's state file (versions/state-file.ts) under its facets
// (versions/state/*): a state.json with every field set reads into the facet
// that owns each field and is written back byte for byte (the split of
// LocalState kept the file as it was); a fresh one has the layout it always
// had; folders.tracked() is the tracked folders, as copies.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineStateDir } from '../../src/engine/fs/state-home';
import { LocalState } from '../../src/engine/versions/local-state';
import { tempDirPerTest } from '../helpers';

const tmp = tempDirPerTest('strata-local-state-');

const device = '0123456789abcdef';
const other = 'fedcba9876543210';

function everyField(repositoryPath: string): object {
  return {
    folders: [
      { id: 'a'.repeat(32), name: 'physics', path: '/courses/physics', tracked: true },
      { id: 'b'.repeat(32), name: 'old', path: '/courses/old', tracked: false },
      { id: 'c'.repeat(32), name: 'adopted', path: '/courses/adopted', tracked: true, observed: false, paused: true },
    ],
    format: 1,
    device,
    repositoryPath,
    lastSeq: 7,
    written: { device, seq: 6 },
    author: 'Ada',
    seen: { ['a'.repeat(32)]: { 'notes.txt': [12, 1700000000000.5, 1700000000001.25, 42] } },
    remotes: [{ name: 'nas', hot: 'file:///mnt/nas/strata' }, { name: 's3', hot: 's3://bucket/hot', cold: 's3://bucket/cold' }],
    applied: { [other]: 3 },
    holding: { 'physics/lab.txt': `${other}:2:0`, 'physics/gone.txt': null },
  };
}

describe("this machine's state file", () => {
  it('reads every field into its facet and writes the file back byte for byte', async () => {
    const repo = join(tmp.path, 'repo');
    const path = join(await machineStateDir(repo), 'state.json');
    const text = `${JSON.stringify(everyField(resolve(repo)), null, 2)}\n`;
    await writeFile(path, text);

    const state = await LocalState.load(repo);
    expect(state.folders.list().map((f) => f.name)).toEqual(['physics', 'old', 'adopted']);
    expect(state.seen.get('a'.repeat(32), 'notes.txt')).toEqual([12, 1700000000000.5, 1700000000001.25, 42]);
    expect(state.settled.view()).toEqual({ device, applied: { [other]: 3 }, holding: { 'physics/lab.txt': `${other}:2:0`, 'physics/gone.txt': null } });
    expect([state.batches.device, state.batches.lastWritten()]).toEqual([device, 6]);
    expect(state.remotes.list().map((r) => r.name)).toEqual(['nas', 's3']);
    expect(state.author.get()).toBe('Ada');
    expect(await readFile(path, 'utf8')).toBe(text); // loading writes nothing

    // Changes that leave every value as it was save the very same bytes.
    await state.folders.setPaused('a'.repeat(32), false);
    await state.author.set('Ada');
    await state.remotes.set(state.remotes.list());
    await state.settled.setApplied({ [other]: 3 }, { 'physics/lab.txt': `${other}:2:0`, 'physics/gone.txt': null });
    expect(await readFile(path, 'utf8')).toBe(text);

    await state.batches.next();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ ...everyField(resolve(repo)), lastSeq: 8 });
  });

  it('starts a new repository with the layout it always had', async () => {
    const repo = join(tmp.path, 'repo');
    const state = await LocalState.load(repo);
    const text = await readFile(join(await machineStateDir(repo), 'state.json'), 'utf8');
    expect(text).toBe(`${JSON.stringify({ folders: [], format: 1, device: state.batches.device, repositoryPath: resolve(repo), lastSeq: 0 }, null, 2)}\n`);
  });

  it('lists the tracked folders, paused ones too, as copies', async () => {
    const repo = join(tmp.path, 'repo');
    await writeFile(join(await machineStateDir(repo), 'state.json'), JSON.stringify(everyField(resolve(repo))));
    const state = await LocalState.load(repo);
    const tracked = state.folders.tracked();
    expect(tracked.map((f) => f.name)).toEqual(['physics', 'adopted']);
    expect(tracked).toEqual(state.folders.list().filter((f) => f.tracked));
    for (const f of tracked) f.tracked = false;
    expect(state.folders.tracked().map((f) => f.name)).toEqual(['physics', 'adopted']);
    await state.folders.setTracked('a'.repeat(32), false);
    expect(state.folders.tracked().map((f) => f.name)).toEqual(['adopted']);
  });
});
