// Damaged and missing version batches (issue 10, point 2): history never
// forks silently. A batch that fails authentication, or one that a later
// batch of its device (or this device's local state) says was written but is
// gone, is named by the history and by `check`; nothing writes history on top
// of it; a batch brought back is read again. Batches record the batch their
// device wrote before (`prev`), so a number reserved but never written is not
// mistaken for a lost batch, and batches written before `prev` existed (the
// golden repository) make no claim.

import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors';
import { check } from '../../src/engine/maintenance/check';
import { initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { LocalBackend } from '../../src/engine/storage/local';
import { MemoryBackend } from '../../src/engine/storage/memory';
import type { PutOptions } from '../../src/engine/storage/backend';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { decodeBatch, parseBatch } from '../../src/engine/versions/records';
import { addFolder, removeFolder, scan } from '../../src/engine/ops/folders';
import { log, tag } from '../../src/engine/ops/history';
import { restoreVersions, rollback } from '../../src/engine/ops/restore-versions';
import type { Session } from '../../src/engine/ops/session';
import { settle } from '../../src/engine/ops/settle';
import { sessionOf } from './sessions';
import { batchFiles, fastKdf, tempDir, writeSettled } from '../helpers';

const PASS = 'history damage passphrase';
let dir: { path: string; cleanup: () => Promise<void> };
let repoDir = '';
let course = '';

beforeEach(async () => {
  dir = await tempDir('strata-history-damage-');
  repoDir = join(dir.path, 'repo');
  course = join(dir.path, 'course');
  await mkdir(course, { recursive: true });
  await initRepositoryAt(repoDir, PASS, { kdf: fastKdf() });
});
afterEach(async () => {
  await dir.cleanup();
});

async function open(): Promise<Session> {
  return sessionOf(await openRepositoryAt(repoDir, PASS), repoDir);
}

async function batchNames(): Promise<string[]> {
  return (await batchFiles(repoDir)).map((n) => `versions/${n}`);
}

const fileOf = (name: string): string => join(repoDir, name);

/** Four batches of one device: the folder, the first scan, two edits of a.md. */
async function fourBatches(): Promise<string[]> {
  await writeSettled(join(course, 'a.md'), 'one\n');
  await writeSettled(join(course, 'b.md'), 'bee\n');
  const session = await open();
  await addFolder(session, course);
  await scan(session);
  await writeSettled(join(course, 'a.md'), 'one two\n');
  await scan(session);
  await writeSettled(join(course, 'a.md'), 'one two three\n');
  await scan(session);
  const names = await batchNames();
  expect(names).toHaveLength(4);
  return names;
}

async function flipByte(name: string): Promise<Buffer> {
  const original = await readFile(fileOf(name));
  const bytes = Buffer.from(original);
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
  await writeFile(fileOf(name), bytes);
  return original;
}

describe('a missing version batch', () => {
  it('a gap that a later batch names: reported, named by check, and no scan writes on top of it', async () => {
    const names = await fourBatches();
    const lost = names[2] as string;
    await rm(fileOf(lost));

    const session = await open();
    const problems = (await session.versions()).history.problems((await session.versions()).state.batches);
    expect(problems).toEqual([{ object: lost, kind: 'missing', message: expect.stringContaining(names[3] as string) as unknown }]);
    // What can be read is still shown: b.md whole, a.md without the lost edit.
    expect((await log(session, join(course, 'b.md'))).map((e) => e.record.n)).toEqual([1]);

    const checked = await check(session.repo);
    expect(checked.problems.map((p) => p.object)).toContain(lost);

    await writeSettled(join(course, 'a.md'), 'changed again\n');
    await writeSettled(join(course, 'c.md'), 'new file\n');
    const refused = await scan(session).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(EngineError);
    expect((refused as EngineError).code).toBe('DAMAGED');
    expect((refused as EngineError).message).toContain(lost);
    expect((refused as EngineError).message).toMatch(/strata sync/);
    expect(await batchNames()).toEqual(names.filter((n) => n !== lost)); // nothing written: no second "@1"
  });

  it('this device\'s own newest batch, lost, is known from its local state', async () => {
    const names = await fourBatches();
    const newest = names[3] as string;
    await rm(fileOf(newest));

    const session = await open();
    expect((await session.versions()).history.problems()).toEqual([]); // nothing in the repository names it...
    expect((await session.versions()).history.problems((await session.versions()).state.batches).map((p) => [p.object, p.kind])).toEqual([[newest, 'missing']]); // ...this machine knows it wrote it
    expect((await check(session.repo, { own: (await session.versions()).state.batches })).problems.map((p) => p.object)).toEqual([newest]);
    await writeSettled(join(course, 'a.md'), 'different now\n');
    await expect(scan(session)).rejects.toMatchObject({ code: 'DAMAGED' });
    expect(await batchNames()).toEqual(names.slice(0, 3));
  });

  it('a number reserved but never written (a crash, a failed write) is no gap: the next batch names the batch before it', async () => {
    const names = await fourBatches();
    const session = await open();
    await (await session.versions()).state.batches.next(); // reserved as a crash before the write leaves it
    await writeSettled(join(course, 'a.md'), 'after the crash\n');
    const result = await scan(session);
    expect(result.batch).toMatch(/-0000000006$/);
    const written = decodeBatch(result.batch as string, await session.repo.readObject('versions', result.batch as string));
    expect(written.prev).toBe(4);

    const again = await open();
    expect((await again.versions()).history.problems((await again.versions()).state.batches)).toEqual([]);
    expect((await check(again.repo, { own: (await again.versions()).state.batches })).problems).toEqual([]);
    // And losing the batch before the skipped number is a gap again.
    await rm(fileOf(names[3] as string));
    const after = await open();
    expect((await after.versions()).history.problems((await after.versions()).state.batches).map((p) => p.object)).toEqual([names[3]]);
  });
});

describe('a damaged version batch', () => {
  it('every operation that writes history refuses; nothing on disk or in the repository changes; reading goes on', async () => {
    const names = await fourBatches();
    const victim = names[2] as string; // a.md's first edit
    await flipByte(victim);
    const session = await open();
    expect((await session.versions()).history.problems((await session.versions()).state.batches).map((p) => [p.object, p.kind])).toEqual([[victim, 'damaged']]);
    expect((await session.versions()).history.problems((await session.versions()).state.batches)[0]?.message).toMatch(/authentication/);

    await writeSettled(join(course, 'a.md'), 'edited while damaged\n');
    const other = join(dir.path, 'other');
    await mkdir(other);
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['scan', () => scan(session)],
      ['add', () => addFolder(session, other)],
      ['remove', () => removeFolder(session, 'course')],
      ['tag', () => tag(session, join(course, 'b.md'), 1, 'kept')],
      ['rollback', () => rollback(session, join(course, 'b.md'), 1)],
      ['restore in place', () => restoreVersions(session, join(course, 'a.md'), { version: 1 })],
      ['reconcile', () => settle(session, { settleMs: 0 })],
    ];
    for (const [what, attempt] of attempts) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error, what).toBeInstanceOf(EngineError);
      expect((error as EngineError).code, what).toBe('DAMAGED');
      expect((error as EngineError).message, what).toContain(victim);
    }
    expect(await batchNames()).toEqual(names);
    expect(await readFile(join(course, 'a.md'), 'utf8')).toBe('edited while damaged\n');
    expect((await session.versions()).state.folders.list().map((f) => [f.name, f.tracked])).toEqual([['course', true]]);

    // Reading is not refused: what the other batches hold is shown and restored elsewhere.
    expect((await log(session, join(course, 'b.md'))).map((e) => e.record.n)).toEqual([1]);
    const elsewhere = await restoreVersions(session, join(course, 'a.md'), { version: 1, target: join(dir.path, 'elsewhere') });
    expect(elsewhere.written).toEqual(['a.md']);
    expect(await readFile(join(dir.path, 'elsewhere', 'a.md'), 'utf8')).toBe('one\n');
  });
});

describe('a sync stopped part way', () => {
  it('copies a device\'s batches in number order, so it never leaves a gap a later batch names', async () => {
    const names = await fourBatches();
    const failing = names[1] as string;
    /** A destination whose put of one batch fails; every put it was asked for is awaited before looking. */
    class FailOne extends MemoryBackend {
      readonly puts: Array<Promise<void>> = [];
      override put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
        const done = name === failing ? Promise.reject(new Error('connection reset')) : super.put(name, data, options);
        this.puts.push(done.catch(() => undefined));
        return done;
      }
    }
    /** The source: every read it was asked for is awaited too (the copies still running after the failure). */
    class Reads extends LocalBackend {
      readonly gets: Array<Promise<unknown>> = [];
      override get(name: string): Promise<Uint8Array> {
        const read = super.get(name);
        this.gets.push(read.catch(() => undefined));
        return read;
      }
    }
    const destination = new FailOne();
    const source = new Reads(repoDir);
    await expect(syncRepositories(destination, source, { upload: false })).rejects.toThrow(/connection reset/);
    await Promise.all(source.gets);
    await new Promise((resolve) => setImmediate(resolve)); // what follows each read (its put) has run
    await Promise.all(destination.puts);
    const copied: string[] = [];
    for await (const info of destination.list('versions/')) copied.push(info.name);
    expect(copied.sort()).toEqual(names.slice(0, 1)); // batch 1 only: 3 and 4 wait for 2
  });
});

describe('self-healing', () => {
  it('a batch brought back (missing, or damaged and replaced) is read on refresh; writes go on', async () => {
    const names = await fourBatches();
    const lost = names[2] as string;
    const saved = await readFile(fileOf(lost));
    await rm(fileOf(lost));
    const damagedOriginal = await flipByte(names[1] as string);

    const session = await open();
    expect((await session.versions()).history.problems((await session.versions()).state.batches).map((p) => [p.object, p.kind])).toEqual([[names[1], 'damaged'], [lost, 'missing']]);
    await writeFile(fileOf(lost), saved);
    await writeFile(fileOf(names[1] as string), damagedOriginal);
    await (await session.versions()).history.refresh(session.repo);
    expect((await session.versions()).history.problems((await session.versions()).state.batches)).toEqual([]);
    expect((await session.versions()).history.damaged).toEqual([]);

    await writeSettled(join(course, 'a.md'), 'one two three four\n');
    const result = await scan(session);
    expect(result.versions.map((v) => [v.path, v.op, v.n])).toEqual([['a.md', 'edit', 4]]);
  });
});

describe('batches written before `prev` existed', () => {
  it('the golden repository reads without a problem, and writing on it goes on with `prev`', async () => {
    const golden = join(dir.path, 'golden');
    await cp(join(__dirname, '..', 'fixtures', 'golden-v1', 'repo'), golden, { recursive: true });
    const repo = await openRepositoryAt(golden, 'golden passphrase');
    const session = await sessionOf(repo, golden);
    expect((await session.versions()).history.batchCount).toBe(6);
    expect((await session.versions()).history.problems((await session.versions()).state.batches)).toEqual([]);
    expect((await check(repo, { own: (await session.versions()).state.batches })).problems).toEqual([]);
    await addFolder(session, course, 'elsewhere');
    const { device } = (await session.versions()).state.batches;
    const mine = (await readdir(join(golden, 'versions'))).filter((n) => n.startsWith(device));
    expect(mine).toHaveLength(1);
    const batch = decodeBatch(`versions/${mine[0] as string}`, await repo.readObject('versions', `versions/${mine[0] as string}`));
    expect(batch.prev).toBe(0);
    // An old batch missing among old ones: nothing claims it (its neighbours say nothing about it).
    await rm(join(golden, 'versions', '1eb83c1620dc98fd-0000000003'));
    const gap = await sessionOf(await openRepositoryAt(golden, 'golden passphrase'), golden);
    expect((await gap.versions()).history.problems((await gap.versions()).state.batches)).toEqual([]);
  });

  it('validates `prev`: a whole number below the batch\'s own', () => {
    const good = { format: 1, device: 'aaaaaaaaaaaaaaaa', seq: 5, time: new Date().toISOString(), records: [] };
    const name = 'versions/aaaaaaaaaaaaaaaa-0000000005';
    expect(parseBatch(name, good).prev).toBeUndefined();
    expect(parseBatch(name, { ...good, prev: 0 }).prev).toBe(0);
    expect(parseBatch(name, { ...good, prev: 4 }).prev).toBe(4);
    for (const prev of [5, 6, -1, 1.5, '4', null]) expect(() => parseBatch(name, { ...good, prev }), String(prev)).toThrow(/previous batch/);
  });
});
