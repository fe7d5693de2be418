// Version batches lost for good (issue 10, `strata repair versions`): a batch
// that is damaged or missing and that no remote has any more blocks every
// write of history. Recording the loss (a batch of this device whose `lost`
// names it, with the reason) is the explicit way past it: the history is
// written again, every device that syncs the record accepts the loss, `check`
// passes and names it as accepted, a damaged object is left in place unless
// it is moved aside on purpose, and a batch that comes back after all is read
// as usual.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { check } from '../../src/engine/maintenance/check';
import { initLocalStoreAt, initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { LocalBackend } from '../../src/engine/storage/local';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { recordLosses } from '../../src/engine/versions/losses';
import { batchName, decodeBatch, encodeBatch, parseBatch, type Batch, type VersionRecord } from '../../src/engine/versions/records';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { content } from '../../src/engine/ops/history';
import type { Session } from '../../src/engine/ops/session';
import { conflicts, settle } from '../../src/engine/ops/settle';
import { sessionOf } from './sessions';
import { batchFiles, fastKdf, tempDir, writeSettled } from '../helpers';

const PASS = 'history losses passphrase';
let dir: { path: string; cleanup: () => Promise<void> };
let repoDir = '';
let course = '';

beforeEach(async () => {
  dir = await tempDir('strata-history-losses-');
  repoDir = join(dir.path, 'repo');
  course = join(dir.path, 'course');
  await mkdir(course, { recursive: true });
  await initRepositoryAt(repoDir, PASS, { kdf: fastKdf() });
});
afterEach(async () => {
  await dir.cleanup();
});

async function open(at = repoDir): Promise<Session> {
  return sessionOf(await openRepositoryAt(at, PASS), at);
}

async function batchNames(at = repoDir): Promise<string[]> {
  return (await batchFiles(at)).map((n) => `versions/${n}`);
}

/**
 * Four batches of one device: 1 the folder; 2 a.md and b.md; 3 an edit of
 * a.md and a new c.md; 4 another edit of a.md (following the one in 3).
 */
async function fourBatches(): Promise<string[]> {
  await writeSettled(join(course, 'a.md'), 'one\n');
  await writeSettled(join(course, 'b.md'), 'bee\n');
  const session = await open();
  await addFolder(session, course);
  await scan(session);
  await writeSettled(join(course, 'a.md'), 'one two\n');
  await writeSettled(join(course, 'c.md'), 'sea\n');
  await scan(session);
  await writeSettled(join(course, 'a.md'), 'one two three\n');
  await scan(session);
  const names = await batchNames();
  expect(names).toHaveLength(4);
  return names;
}

async function flipByte(path: string): Promise<Buffer> {
  const bytes = Buffer.from(await readFile(path));
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
  await writeFile(path, bytes);
  return bytes;
}

async function readBatch(session: Session, name: string): Promise<Batch> {
  return decodeBatch(name, await session.repo.readObject('versions', name));
}

/** a.md's versions as numbered: [n, content of the version's record summary's op]. */
async function numbersOf(session: Session, path = 'a.md'): Promise<Array<[number, string, string]>> {
  const { state, history } = await session.versions();
  const file = history.fileAt(state.folders.list()[0]?.id ?? '', path) ?? history.allFiles().find((f) => f.versions.some((v) => v.path === path));
  return (file?.versions ?? []).map((v) => [v.n, v.op, history.refOf(v)]);
}

describe('recording a missing batch as lost', () => {
  it('lets history be written again, with sound parents and numbers, and check names the accepted loss', async () => {
    const names = await fourBatches();
    const lost = names[2] as string;
    await rm(join(repoDir, lost));

    const session = await open();
    await expect(scan(session)).rejects.toMatchObject({ code: 'DAMAGED' });
    expect((await check(session.repo, { own: (await session.versions()).state.batches })).problems.map((p) => p.object)).toEqual([lost]);

    const recorded = await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history);
    expect(recorded.lost).toEqual([{ batch: lost, reason: 'missing', detail: expect.stringContaining(names[3] as string) as unknown }]);
    expect(recorded.batch).toBe(batchName((await session.versions()).state.batches.device, 5));
    const written = await readBatch(session, recorded.batch as string);
    expect(written.records).toEqual([]);
    expect(written.lost).toEqual(recorded.lost);
    expect(written.prev).toBe(4);
    expect(await batchNames()).toEqual([...names.filter((n) => n !== lost), recorded.batch]);

    // Read again from the repository, as any later command does.
    const after = await open();
    expect((await after.versions()).history.problems((await after.versions()).state.batches)).toEqual([]);
    expect((await after.versions()).history.losses()).toEqual([{ batch: lost, reason: 'missing', detail: expect.any(String) as unknown, recordedIn: recorded.batch, time: written.time }]);
    const checked = await check(after.repo, { own: (await after.versions()).state.batches });
    expect(checked.problems).toEqual([]);
    expect(checked.losses.map((l) => l.batch)).toEqual([lost]);
    expect(checked.notes.filter((n) => n.includes(lost))).toHaveLength(1);
    expect(checked.notes.find((n) => n.includes(lost))).toMatch(/lost.*accepted/);

    // a.md lost its first edit: the edit after it follows nothing known, so @1 is a head again.
    const aBefore = await numbersOf(after);
    expect(aBefore.map(([n, op]) => [n, op])).toEqual([[1, 'add'], [2, 'edit']]);
    // The scan records c.md (its record was in the lost batch) as a new file, and a.md's next edit
    // follows every head it has: one head again, its text starting anew (the chain is broken for good).
    await writeSettled(join(course, 'a.md'), 'one two three four\n');
    const scanned = await scan(after);
    expect(scanned.warnings).toBe(0);
    expect(scanned.versions.map((v) => [v.path, v.op, v.n])).toEqual([['a.md', 'edit', 3], ['c.md', 'add', 1]]);
    const edit = scanned.versions[0];
    expect(edit?.parents?.sort()).toEqual(aBefore.map(([, , ref]) => ref).sort());
    expect(edit?.yjs?.base).toBe('empty');
    expect(edit?.summary).toBe('1 lines, not compared with the version before');
    const aFile = (await after.versions()).history.file(edit?.file ?? '');
    expect(aFile?.heads).toEqual([edit]);
    expect(await conflicts(after)).toEqual([]);
    const chunks: Uint8Array[] = [];
    for await (const chunk of content(after, edit as VersionRecord)) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('one two three four\n');

    // Numbering is the graph's: the same on a fresh read.
    const again = await open();
    expect(await numbersOf(again)).toEqual(await numbersOf(after));
    expect((await check(again.repo, { own: (await again.versions()).state.batches })).problems).toEqual([]);
  });

  it('another device that syncs the record accepts the loss too, with the same numbers', async () => {
    const names = await fourBatches();
    const lost = names[2] as string;
    const remoteDir = join(dir.path, 'remote');
    const remote = await LocalBackend.create(remoteDir);
    const sessionA = await open();
    await syncRepositories(sessionA.repo.backend, remote);
    const repoB = join(dir.path, 'B');
    const localB = await initLocalStoreAt(repoB);
    await syncRepositories(localB, remote, { upload: false });
    // Lost everywhere: no remote has it any more.
    for (const root of [repoDir, remoteDir, repoB]) await rm(join(root, lost));

    const sessionB = await open(repoB);
    expect((await sessionB.versions()).history.problems((await sessionB.versions()).state.batches).map((p) => p.object)).toEqual([lost]);
    const otherFolder = join(dir.path, 'other');
    await mkdir(otherFolder);
    await expect(addFolder(sessionB, otherFolder)).rejects.toMatchObject({ code: 'DAMAGED' });

    const a = await open();
    await recordLosses(a.repo, (await a.versions()).state, (await a.versions()).history);
    await syncRepositories(a.repo.backend, remote);
    await syncRepositories(localB, remote);

    const b = await open(repoB);
    expect((await b.versions()).history.problems((await b.versions()).state.batches)).toEqual([]);
    expect((await b.versions()).history.losses().map((l) => [l.batch, l.reason])).toEqual([[lost, 'missing']]);
    expect((await check(b.repo, { own: (await b.versions()).state.batches })).problems).toEqual([]);
    await addFolder(b, otherFolder); // B writes history again
    const ids = async (session: Session): Promise<Array<[string, number]>> => {
      const { history } = await session.versions();
      return history.allFiles().flatMap((f) => f.versions.map((v): [string, number] => [history.refOf(v), v.n])).sort();
    };
    const a2 = await open();
    expect(await ids(b)).toEqual(await ids(a2));
  });

  it('this device\'s own newest batch, lost, is recorded too; the record names it as the batch before', async () => {
    const names = await fourBatches();
    const newest = names[3] as string;
    await rm(join(repoDir, newest));
    const session = await open();
    const recorded = await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history);
    expect(recorded.lost.map((l) => [l.batch, l.reason])).toEqual([[newest, 'missing']]);
    expect((await readBatch(session, recorded.batch as string)).prev).toBe(4);
    const after = await open();
    expect((await after.versions()).history.problems((await after.versions()).state.batches)).toEqual([]);
    await writeSettled(join(course, 'b.md'), 'bee two\n');
    expect((await scan(after)).versions.map((v) => [v.path, v.op])).toEqual([['a.md', 'edit'], ['b.md', 'edit']]);
  });

  it('settling after a sync does not wait for a batch recorded as lost; what is on disk stays', async () => {
    const names = await fourBatches();
    await rm(join(repoDir, names[2] as string));
    const session = await open();
    await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history);
    const after = await open();
    const settled = await settle(after, { settleMs: 0 });
    expect(settled.waiting).toEqual([]);
    // a.md's line lost a link: the version before it is a head again, shown as a conflict until a version follows both.
    expect(settled.conflicts.map((c) => c.path)).toEqual(['a.md']);
    expect(await readFile(join(course, 'a.md'), 'utf8')).toBe('one two three\n');
  });

  it('nothing to record: no batch is written', async () => {
    const names = await fourBatches();
    const session = await open();
    const recorded = await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history);
    expect(recorded).toEqual({ batch: undefined, lost: [], movedAside: [] });
    expect(await batchNames()).toEqual(names);
  });
});

describe('recording a damaged batch as lost', () => {
  it('leaves the damaged object in place (evidence) and accepts it', async () => {
    const names = await fourBatches();
    const victim = names[2] as string;
    const damaged = await flipByte(join(repoDir, victim));
    const session = await open();
    await expect(scan(session)).rejects.toMatchObject({ code: 'DAMAGED' });
    const recorded = await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history);
    expect(recorded.lost).toEqual([{ batch: victim, reason: 'damaged', detail: expect.stringMatching(/authentication/) as unknown }]);
    expect(recorded.movedAside).toEqual([]);
    expect(await readFile(join(repoDir, victim))).toEqual(damaged);

    const after = await open();
    expect((await after.versions()).history.problems((await after.versions()).state.batches)).toEqual([]);
    expect((await after.versions()).history.losses().map((l) => [l.batch, l.reason])).toEqual([[victim, 'damaged']]);
    const checked = await check(after.repo, { own: (await after.versions()).state.batches });
    expect(checked.problems).toEqual([]);
    expect(checked.losses.map((l) => l.batch)).toEqual([victim]);
    await writeSettled(join(course, 'a.md'), 'after the repair\n');
    expect((await scan(after)).versions.map((v) => [v.path, v.op])).toEqual([['a.md', 'edit'], ['c.md', 'add']]);
  });

  it('moves the damaged object aside when asked, keeping its bytes; a good copy can then come back', async () => {
    const names = await fourBatches();
    const victim = names[2] as string;
    const good = await readFile(join(repoDir, victim));
    const damaged = await flipByte(join(repoDir, victim));
    const aside = join(dir.path, 'aside');
    const session = await open();
    const recorded = await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history, { moveAsideTo: aside });
    const kept = join(aside, victim.slice('versions/'.length));
    expect(recorded.movedAside).toEqual([{ batch: victim, to: kept }]);
    expect(await readFile(kept)).toEqual(damaged);
    expect(await batchNames()).not.toContain(victim);

    const after = await open();
    expect((await after.versions()).history.problems((await after.versions()).state.batches)).toEqual([]);
    expect((await check(after.repo, { own: (await after.versions()).state.batches })).problems).toEqual([]);
    // A damaged batch recorded before can be moved aside later too.
    await writeFile(join(repoDir, victim), damaged);
    const later = await open();
    expect((await recordLosses(later.repo, (await later.versions()).state, (await later.versions()).history, { moveAsideTo: join(dir.path, 'aside2') })).movedAside.map((m) => m.batch)).toEqual([victim]);
    expect(await batchNames()).not.toContain(victim);

    // The good copy back (a remote had it after all): read as usual, no loss left to mention.
    await writeFile(join(repoDir, victim), good);
    const healed = await open();
    expect((await healed.versions()).history.losses()).toEqual([]);
    expect((await numbersOf(healed)).map(([n, op]) => [n, op])).toEqual([[1, 'add'], [2, 'edit'], [3, 'edit']]);
    expect((await check(healed.repo, { own: (await healed.versions()).state.batches })).losses).toEqual([]);
  });

  it('refuses to move aside into the repository', async () => {
    const names = await fourBatches();
    await flipByte(join(repoDir, names[2] as string));
    const session = await open();
    await expect(recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history, { moveAsideTo: join(repoDir, 'aside') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await session.versions()).history.problems((await session.versions()).state.batches)).toHaveLength(1); // nothing recorded
    expect(await batchNames()).toEqual(names);
  });
});

describe('a batch recorded as lost that comes back', () => {
  it('is read as usual: its versions are numbered in again, and nothing is mentioned as lost', async () => {
    const names = await fourBatches();
    const lost = names[2] as string;
    const saved = await readFile(join(repoDir, lost));
    await rm(join(repoDir, lost));
    const session = await open();
    await recordLosses(session.repo, (await session.versions()).state, (await session.versions()).history);
    await writeSettled(join(course, 'a.md'), 'one two three four\n');
    await scan(session);

    await writeFile(join(repoDir, lost), saved);
    const back = await open();
    expect((await back.versions()).history.problems((await back.versions()).state.batches)).toEqual([]);
    expect((await back.versions()).history.losses()).toEqual([]);
    expect((await check(back.repo, { own: (await back.versions()).state.batches })).losses).toEqual([]);
    // a.md: add, the edit that was lost, the edit after it, and the edit recorded after the repair.
    expect((await numbersOf(back)).map(([n, op]) => [n, op])).toEqual([[1, 'add'], [2, 'edit'], [3, 'edit'], [4, 'edit']]);
    // c.md was recorded twice (the lost batch's record and the one after the repair): two files, both kept.
    expect((await back.versions()).history.allFiles().filter((f) => f.versions.some((v) => v.path === 'c.md'))).toHaveLength(2);
  });

  it('a record naming a batch that is stored and whole changes nothing', async () => {
    const names = await fourBatches();
    const session = await open();
    const whole = names[2] as string;
    const seq = (await (await session.versions()).state.batches.next((await session.versions()).history.lastSeq((await session.versions()).state.batches.device)));
    const name = batchName((await session.versions()).state.batches.device, seq);
    const batch: Batch = { format: 1, device: (await session.versions()).state.batches.device, seq, prev: 4, time: new Date().toISOString(), records: [], lost: [{ batch: whole, reason: 'missing' }] };
    await session.repo.putObjectExclusive('versions', name, encodeBatch(batch));
    const again = await open();
    expect((await again.versions()).history.losses()).toEqual([]);
    expect((await numbersOf(again)).map(([n, op]) => [n, op])).toEqual([[1, 'add'], [2, 'edit'], [3, 'edit']]);
  });
});

describe('`lost` as stored', () => {
  it('validates: batch names of others, a reason, an optional short detail', () => {
    const name = 'versions/aaaaaaaaaaaaaaaa-0000000005';
    const good = { format: 1, device: 'aaaaaaaaaaaaaaaa', seq: 5, prev: 4, time: new Date().toISOString(), records: [] };
    expect(parseBatch(name, good).lost).toBeUndefined();
    const lost = [{ batch: 'versions/bbbbbbbbbbbbbbbb-0000000003', reason: 'damaged', detail: 'fails authentication' }, { batch: 'versions/aaaaaaaaaaaaaaaa-0000000002', reason: 'missing' }];
    expect(parseBatch(name, { ...good, lost }).lost).toEqual(lost);
    expect(parseBatch(name, { ...good, lost: [{ ...lost[1], extra: 1 }] }).lost).toHaveLength(1); // unknown fields are ignored
    const bad: unknown[] = [
      'versions/bbbbbbbbbbbbbbbb-0000000003',
      {},
      [],
      ['versions/bbbbbbbbbbbbbbbb-0000000003'],
      [{ batch: 'versions/bbbbbbbbbbbbbbbb-3', reason: 'missing' }],
      [{ batch: 'data/00/00', reason: 'missing' }],
      [{ batch: name, reason: 'missing' }], // itself
      [{ batch: 'versions/bbbbbbbbbbbbbbbb-0000000003', reason: 'gone' }],
      [{ batch: 'versions/bbbbbbbbbbbbbbbb-0000000003', reason: 'missing', detail: 'x'.repeat(1025) }],
      [{ batch: 'versions/bbbbbbbbbbbbbbbb-0000000003', reason: 'missing', detail: 7 }],
    ];
    for (const value of bad) expect(() => parseBatch(name, { ...good, lost: value }), JSON.stringify(value).slice(0, 80)).toThrow(/lost/);
  });
});
