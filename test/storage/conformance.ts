// The one conformance suite every Backend runs (memory, local, wrappers, and
// later S3). It uses only the contract in src/engine/storage/backend.ts, so any
// backend that passes it can stand in for any other.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  InvalidNameError,
  NotFoundError,
  StorageError,
  type Backend,
  type ObjectInfo,
} from '../../src/engine/storage/backend';

export interface OpenedBackend {
  backend: Backend;
  cleanup: () => Promise<void>;
}

const MiB = 1024 * 1024;

const INVALID_NAMES = [
  '',
  '/abs',
  'a/../b',
  'a//b',
  '..',
  '.',
  'a/./b',
  'trailing/',
  'with space',
  'x\u0000y',
  'back\\slash',
  'n'.repeat(600),
  'seg/'.repeat(150) + 'x',
];

export function describeBackendConformance(label: string, open: () => Promise<OpenedBackend>): void {
  describe(`${label}: Backend conformance`, () => {
    let backend: Backend;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ backend, cleanup } = await open());
    });

    afterEach(async () => {
      await backend.close();
      await cleanup();
    });

    it('names its location', () => {
      expect(typeof backend.location).toBe('string');
      expect(backend.location.length).toBeGreaterThan(0);
    });

    describe('put and get', () => {
      it.each([
        ['an empty object', 0],
        ['a 1-byte object', 1],
        ['a ~5 MiB object', 5 * MiB + 123],
      ])('round-trips %s', async (_what, size) => {
        const data = patterned(size, 7);
        await backend.put('roundtrip/object', data);
        expectSameBytes(await backend.get('roundtrip/object'), data);
        expect((await backend.head('roundtrip/object')).size).toBe(size);
      });

      it('keeps its own copy of the bytes put', async () => {
        const data = patterned(1000, 1);
        const original = data.slice();
        await backend.put('copy/put', data);
        data.fill(0);
        expectSameBytes(await backend.get('copy/put'), original);
      });

      it('hands out bytes the caller may mutate', async () => {
        const data = patterned(1000, 2);
        await backend.put('copy/get', data);
        const first = await backend.get('copy/get');
        first.fill(0);
        expectSameBytes(await backend.get('copy/get'), data);
      });

      it('allows re-putting the same bytes', async () => {
        const data = patterned(4096, 3);
        await backend.put('same/twice', data);
        await backend.put('same/twice', data.slice());
        expectSameBytes(await backend.get('same/twice'), data);
        expect(await listNames(backend, 'same/')).toEqual(['same/twice']);
      });

      it('accepts the longest valid name', async () => {
        const name = ['a', 'b', 'c', 'd', 'e'].map((letter) => letter.repeat(100)).join('/') + '/' + 'f'.repeat(7);
        expect(name.length).toBe(512);
        await backend.put(name, patterned(10, 4));
        expectSameBytes(await backend.get(name), patterned(10, 4));
        expect(await listNames(backend, 'aaa')).toEqual([name]);
      });
    });

    describe('getRange', () => {
      const data = patterned(1000, 5);
      beforeEach(async () => {
        await backend.put('range/object', data);
      });

      it.each([
        ['the start', 0, 10],
        ['the middle', 400, 123],
        ['the end', 990, 10],
        ['the whole object', 0, 1000],
        ['zero bytes at the start', 0, 0],
        ['zero bytes at the end', 1000, 0],
      ])('reads %s', async (_what, offset, length) => {
        const bytes = await backend.getRange('range/object', offset, length);
        expectSameBytes(bytes, data.subarray(offset, offset + length));
      });

      it.each([
        ['running past the end', 995, 10],
        ['starting past the end', 1001, 0],
        ['a negative offset', -1, 5],
        ['a negative length', 0, -1],
      ])('throws RangeError for %s', async (_what, offset, length) => {
        const error = await failure(() => backend.getRange('range/object', offset, length));
        expect(error).toBeInstanceOf(RangeError);
      });

      it('throws NotFoundError for a missing object', async () => {
        await expectStorageError(() => backend.getRange('range/missing', 0, 1), NotFoundError, 'NOT_FOUND');
      });

      it('reads into lent memory or its own, the returned bytes right either way', async () => {
        const lent = new Uint8Array(new SharedArrayBuffer(300)).fill(0xee);
        const bytes = await backend.getRange('range/object', 100, 200, lent);
        expectSameBytes(bytes, data.subarray(100, 300));
        // Lent memory that is too small is not used.
        const small = new Uint8Array(new SharedArrayBuffer(10));
        expectSameBytes(await backend.getRange('range/object', 0, 50, small), data.subarray(0, 50));
        expect(small.every((b) => b === 0)).toBe(true);
      });
    });

    describe('head', () => {
      it('reports the size, and the tier given at put when it reports one', async () => {
        await backend.put('tier/default', patterned(10, 6));
        await backend.put('tier/hot', patterned(20, 6), { tier: 'hot' });
        await backend.put('tier/cold', patterned(30, 6), { tier: 'cold' });
        const expected: Array<[string, number, 'hot' | 'cold']> = [
          ['tier/default', 10, 'hot'],
          ['tier/hot', 20, 'hot'],
          ['tier/cold', 30, 'cold'],
        ];
        const listed = new Map((await listAll(backend, 'tier/')).map((info) => [info.name, info]));
        for (const [name, size, tier] of expected) {
          const info = await backend.head(name);
          expect(info.name).toBe(name);
          expect(info.size).toBe(size);
          if (info.tier !== undefined) expect(info.tier).toBe(tier);
          const listedInfo = listed.get(name);
          expect(listedInfo?.size).toBe(size);
          if (listedInfo?.tier !== undefined) expect(listedInfo.tier).toBe(tier);
        }
      });
    });

    describe('list', () => {
      const names = ['config', 'data/ab/1', 'data/ab/2', 'data/ac/3', 'data/b/4', 'data-other/5', 'index/1', 'index/2'];
      beforeEach(async () => {
        await Promise.all(names.map((name, i) => backend.put(name, patterned(i * 10, i))));
      });

      it.each([
        ['', names],
        ['data/', ['data/ab/1', 'data/ab/2', 'data/ac/3', 'data/b/4']],
        ['data/a', ['data/ab/1', 'data/ab/2', 'data/ac/3']],
        ['data/ab/', ['data/ab/1', 'data/ab/2']],
        ['data', ['data/ab/1', 'data/ab/2', 'data/ac/3', 'data/b/4', 'data-other/5']],
        ['data/ab/1', ['data/ab/1']],
        ['conf', ['config']],
        ['index/', ['index/1', 'index/2']],
        ['nothing/', []],
        ['data/zz', []],
        ['zzz', []],
      ])('prefix %j lists exactly the matching names, once each', async (prefix, expected) => {
        expect(await listNames(backend, prefix)).toEqual([...expected].sort());
      });

      it('reports sizes', async () => {
        const infos = await listAll(backend, '');
        for (const info of infos) expect(info.size).toBe(names.indexOf(info.name) * 10);
      });

      it('no longer lists deleted objects', async () => {
        await backend.delete('data/ab/1');
        expect(await listNames(backend, 'data/ab')).toEqual(['data/ab/2']);
      });

      it.each(['/abs', 'a//b', '..', 'a/../b', 'with space'])('rejects the invalid prefix %j', async (prefix) => {
        await expectStorageError(() => listNames(backend, prefix), InvalidNameError, 'INVALID_NAME');
      });
    });

    describe('delete', () => {
      it('removes the object', async () => {
        await backend.put('gone/object', patterned(100, 8));
        await backend.delete('gone/object');
        await expectStorageError(() => backend.get('gone/object'), NotFoundError, 'NOT_FOUND');
        await expectStorageError(() => backend.head('gone/object'), NotFoundError, 'NOT_FOUND');
        expect(await listNames(backend, 'gone/')).toEqual([]);
      });

      it('throws NotFoundError for a missing object', async () => {
        await expectStorageError(() => backend.delete('gone/never'), NotFoundError, 'NOT_FOUND');
      });

      it('lets the name be put again', async () => {
        await backend.put('gone/again', patterned(10, 9));
        await backend.delete('gone/again');
        await backend.put('gone/again', patterned(20, 10));
        expectSameBytes(await backend.get('gone/again'), patterned(20, 10));
      });
    });

    describe('missing objects', () => {
      it('get and head throw NotFoundError', async () => {
        await expectStorageError(() => backend.get('missing/object'), NotFoundError, 'NOT_FOUND');
        await expectStorageError(() => backend.head('missing/object'), NotFoundError, 'NOT_FOUND');
      });

      it('a prefix of an existing name is not an object', async () => {
        await backend.put('parent/child', patterned(5, 11));
        await expectStorageError(() => backend.get('parent'), NotFoundError, 'NOT_FOUND');
        await expectStorageError(() => backend.head('parent'), NotFoundError, 'NOT_FOUND');
        await expectStorageError(() => backend.delete('parent'), NotFoundError, 'NOT_FOUND');
      });
    });

    describe('ifNotExists', () => {
      it('puts a new object', async () => {
        await backend.put('exclusive/new', patterned(10, 12), { ifNotExists: true });
        expectSameBytes(await backend.get('exclusive/new'), patterned(10, 12));
      });

      it('refuses to replace an existing object and keeps the original', async () => {
        const original = patterned(300, 13);
        await backend.put('exclusive/taken', original, { ifNotExists: true });
        await expectStorageError(
          () => backend.put('exclusive/taken', patterned(400, 14), { ifNotExists: true }),
          AlreadyExistsError,
          'ALREADY_EXISTS',
        );
        expectSameBytes(await backend.get('exclusive/taken'), original);
        expect(await listNames(backend, 'exclusive/')).toEqual(['exclusive/taken']);
      });

      it('lets exactly one of several concurrent exclusive puts win', async () => {
        const contents = Array.from({ length: 8 }, (_, i) => patterned(2000, 100 + i));
        const results = await Promise.allSettled(contents.map((data) => backend.put('exclusive/race', data, { ifNotExists: true })));
        const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(AlreadyExistsError);
        }
        const winner = contents[winners[0] ?? -1];
        expectSameBytes(await backend.get('exclusive/race'), winner ?? new Uint8Array());
      });
    });

    describe('invalid names', () => {
      it.each(INVALID_NAMES.map((name) => [JSON.stringify(name).slice(0, 40), name]))(
        'rejects %s in every operation',
        async (_shown, name) => {
          const operations: Array<() => Promise<unknown>> = [
            () => backend.get(name),
            () => backend.getRange(name, 0, 0),
            () => backend.put(name, patterned(1, 15)),
            () => backend.put(name, patterned(1, 15), { ifNotExists: true }),
            () => backend.head(name),
            () => backend.delete(name),
          ];
          for (const operation of operations) await expectStorageError(operation, InvalidNameError, 'INVALID_NAME');
          expect(await listNames(backend, '')).toEqual([]);
        },
      );
    });

    describe('concurrency', () => {
      it('lists every one of 100 concurrent puts of distinct names', async () => {
        const names = Array.from({ length: 100 }, (_, i) => `many/${(i % 7).toString()}/object-${i.toString()}`);
        await Promise.all(names.map((name, i) => backend.put(name, patterned(1000 + i, i))));
        expect(await listNames(backend, 'many/')).toEqual([...names].sort());
        const sizes = await Promise.all(names.map(async (name) => (await backend.head(name)).size));
        expect(sizes).toEqual(names.map((_, i) => 1000 + i));
      });

      it('leaves one intact object after concurrent puts of the same name', async () => {
        const contents = Array.from({ length: 8 }, (_, i) => patterned(256 * 1024, 200 + i));
        await Promise.all(contents.map((data) => backend.put('race/object', data)));
        const stored = await backend.get('race/object');
        expect(contents.some((data) => sameBytes(stored, data))).toBe(true);
        expect(await listNames(backend, 'race/')).toEqual(['race/object']);
      });
    });
  });
}

/** Deterministic bytes that differ between seeds and between positions. */
export function patterned(size: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(size / 4));
  let state = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    // xorshift32: cheap enough for megabytes, and no two seeds share a stream.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    words[i] = state;
  }
  return new Uint8Array(words.buffer, 0, size);
}

export async function listAll(backend: Backend, prefix: string): Promise<ObjectInfo[]> {
  const infos: ObjectInfo[] = [];
  for await (const info of backend.list(prefix)) infos.push(info);
  return infos;
}

/** Sorted names under `prefix`; duplicates are kept so a test can see them. */
export async function listNames(backend: Backend, prefix: string): Promise<string[]> {
  return (await listAll(backend, prefix)).map((info) => info.name).sort();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Compares without printing megabytes on failure. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual.length).toBe(expected.length);
  expect(sameBytes(actual, expected)).toBe(true);
}

/** The error `operation` fails with, whether it throws or rejects; fails the test if it succeeds. */
export async function failure(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  expect.fail('expected the operation to fail');
}

export async function expectStorageError(
  operation: () => Promise<unknown>,
  type: abstract new (...args: never[]) => StorageError,
  code: StorageError['code'],
): Promise<void> {
  const error = await failure(operation);
  expect(error).toBeInstanceOf(type);
  expect((error as StorageError).code).toBe(code);
}
