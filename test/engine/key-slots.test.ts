// Opening a repository through its key slots when the storage provider is
// hostile (docs/format.md 9.5): slots copied from another repository, planted
// slots with costly KDF parameters, many slots, no slots at all; which slot
// this machine opened last; and the version-2 slots new keys are written as.

import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as kdf from '../../src/engine/crypto/kdf';
import { createKeySlot, generateMasterKeys, type KeySlot } from '../../src/engine/crypto/keyslot';
import { seal } from '../../src/engine/crypto/aead';
import { EngineError } from '../../src/engine/errors';
import { machineStateDir } from '../../src/engine/fs/state-home';
import { objectNames } from '../../src/engine/repo/format';
import { assertRepositoryAt, initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { MAX_KEY_SLOTS_TRIED, Repository, assertRepository } from '../../src/engine/repo/repository';
import type { Backend } from '../../src/engine/storage/backend';
import { MemoryBackend } from '../../src/engine/storage/memory';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { fastKdf, tempDirPerTest } from '../helpers';

vi.mock('../../src/engine/crypto/kdf', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/crypto/kdf')>();
  return { ...real, deriveKey: vi.fn(real.deriveKey) };
});
const deriveSpy = vi.mocked(kdf.deriveKey);

const PASS = 'owner passphrase';
const encoder = new TextEncoder();
const dir = tempDirPerTest('strata-key-slots-');

/** A key slot name that sorts before any random one. */
const firstName = (i = 0): string => objectNames.key(`${'0'.repeat(60)}${i.toString(16).padStart(4, '0')}`);
const putSlot = (backend: Backend, name: string, slot: unknown): Promise<void> => backend.put(name, encoder.encode(JSON.stringify(slot, null, 2)));

async function slotNames(backend: Backend): Promise<string[]> {
  const names: string[] = [];
  for await (const info of backend.list(objectNames.keyPrefix)) names.push(info.name);
  return names.sort();
}

async function theSlot(backend: Backend): Promise<{ name: string; slot: KeySlot }> {
  const [name] = await slotNames(backend);
  if (!name) throw new Error('no key slot');
  return { name, slot: JSON.parse(new TextDecoder().decode(await backend.get(name))) as KeySlot };
}

async function openError(promise: Promise<unknown>): Promise<EngineError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

beforeEach(() => {
  deriveSpy.mockClear();
});

describe('opening through hostile key slots', () => {
  it('a slot copied from another repository (same passphrase), sorted first, does not lock the owner out', async () => {
    const mine = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const other = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const { slot: foreign } = await theSlot(other.backend);
    await putSlot(mine.backend, firstName(0), foreign);
    const opened = await Repository.open(mine.backend, PASS);
    expect(opened.config.id).toBe(mine.config.id);
    expect(opened.keyId).toBe(mine.keyId);
  });

  it('so does a version-1 slot copied from another repository', async () => {
    const mine = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const otherKeys = generateMasterKeys();
    const params = fastKdf();
    const kek = await kdf.deriveKey(PASS, params, 32);
    const wrapped = seal(kek, Buffer.concat([otherKeys.encryption, otherKeys.contentId, otherKeys.chunker]), encoder.encode('strata keyslot v1'));
    await putSlot(mine.backend, firstName(0), { version: 1, kdf: params, created: new Date().toISOString(), host: 'h', user: 'u', wrapped: Buffer.from(wrapped).toString('base64') });
    expect((await Repository.open(mine.backend, PASS)).keyId).toBe(mine.keyId);
  });

  it('fails only when no slot the passphrase opens yields a config that opens', async () => {
    const mine = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const other = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const { name: own } = await theSlot(mine.backend);
    await putSlot(mine.backend, firstName(0), (await theSlot(other.backend)).slot);
    await mine.backend.delete(own);
    const error = await openError(Repository.open(mine.backend, PASS));
    expect(error.code).toBe('DAMAGED');
    expect(error.message).toMatch(/config/);
    expect(error.message).toMatch(/another repository/);
  });

  it('skips a planted slot with costly KDF parameters without running scrypt for it', async () => {
    const mine = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const { slot } = await theSlot(mine.backend);
    // 16 times the default work at 64 MiB (p = 16): accepted before the read caps.
    await putSlot(mine.backend, firstName(0), { ...slot, kdf: { ...slot.kdf, N: 2 ** 16, r: 8, p: 16 } });
    deriveSpy.mockClear();
    const opened = await Repository.open(mine.backend, PASS);
    expect(opened.keyId).toBe(mine.keyId);
    expect(deriveSpy).toHaveBeenCalledTimes(1);
    expect(deriveSpy.mock.calls[0]?.[1].N).toBe(1024);
  });

  it('opens a genuine version-1 slot written under the older, costlier KDF bounds: last, and one such derivation at most', async () => {
    const repo = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const { name: own } = await theSlot(repo.backend);
    // 272 MiB: over today's 256 MiB bound, within the 1 GiB that `init --kdf-n` allowed before.
    const costly = { ...fastKdf(), N: 2 ** 17, r: 17, p: 1 };
    expect(() => kdf.validateKdfParams(costly)).toThrow(/limit is 256 MiB/);
    const v1Slot = async (passphrase: string): Promise<unknown> => {
      const kek = await kdf.deriveKey(passphrase, costly, 32, 'legacy');
      const wrapped = seal(kek, Buffer.concat([repo.keys.encryption, repo.keys.contentId, repo.keys.chunker]), encoder.encode('strata keyslot v1'));
      return { version: 1, kdf: costly, created: new Date().toISOString(), host: 'h', user: 'u', wrapped: Buffer.from(wrapped).toString('base64') };
    };
    await putSlot(repo.backend, firstName(0), await v1Slot('old strong passphrase'));
    await putSlot(repo.backend, firstName(1), await v1Slot('another old one'));

    // The everyday passphrase: its own slot opens; no costly derivation at all.
    deriveSpy.mockClear();
    expect((await Repository.open(repo.backend, PASS)).keyId).toBe(own.slice(5));
    expect(deriveSpy.mock.calls.map((c) => c[1].N)).toEqual([1024]);

    // The old passphrase: every standard slot first, then one costly slot (the first by name).
    deriveSpy.mockClear();
    expect((await Repository.open(repo.backend, 'old strong passphrase')).keyId).toBe(firstName(0).slice(5));
    expect(deriveSpy.mock.calls.map((c) => [c[1].N, c[3] ?? 'standard'])).toEqual([[1024, 'standard'], [2 ** 17, 'legacy']]);

    // A wrong passphrase costs one costly derivation, however many such slots there are.
    deriveSpy.mockClear();
    expect((await openError(Repository.open(repo.backend, 'wrong'))).code).toBe('WRONG_PASSPHRASE');
    expect(deriveSpy.mock.calls.filter((c) => c[3] === 'legacy')).toHaveLength(1);

    // A costly slot this machine opened before is tried first, as any remembered slot.
    deriveSpy.mockClear();
    expect((await Repository.open(repo.backend, 'another old one', { preferredKey: firstName(1).slice(5) })).keyId).toBe(firstName(1).slice(5));
    expect(deriveSpy).toHaveBeenCalledTimes(1);

    // Listed as a usable version-1 slot, not as damaged.
    const listed = await (await Repository.open(repo.backend, PASS)).listKeys();
    expect(listed.filter((k) => k.damaged !== undefined)).toEqual([]);
    expect(listed.filter((k) => k.version === 1)).toHaveLength(2);
  });

  it(`tries at most ${MAX_KEY_SLOTS_TRIED} slots per open; the slot named as preferred is tried first`, async () => {
    expect(MAX_KEY_SLOTS_TRIED).toBe(8);
    const mine = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    for (let i = 0; i < MAX_KEY_SLOTS_TRIED + 1; i++) {
      await putSlot(mine.backend, firstName(i), await createKeySlot(mine.keys, `planted ${i}`, { repository: mine.config.id, kdf: fastKdf() }));
    }
    deriveSpy.mockClear();
    const error = await openError(Repository.open(mine.backend, PASS));
    expect(error.code).toBe('WRONG_PASSPHRASE');
    expect(error.message).toMatch(/^wrong passphrase/);
    expect(error.message).toMatch(/8 of the 10 key slots/);
    expect(deriveSpy).toHaveBeenCalledTimes(MAX_KEY_SLOTS_TRIED);

    deriveSpy.mockClear();
    const opened = await Repository.open(mine.backend, PASS, { preferredKey: mine.keyId });
    expect(opened.keyId).toBe(mine.keyId);
    expect(deriveSpy).toHaveBeenCalledTimes(1);
    // A preferred key that is not there (removed since) changes nothing.
    expect((await Repository.open(mine.backend, 'planted 0', { preferredKey: 'f'.repeat(64) })).keyId).toBe(firstName(0).slice(5));
  });

  it(`key add refuses a ${MAX_KEY_SLOTS_TRIED + 1}th slot (an open would not try it); key passwd still works`, async () => {
    const repo = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    for (let i = 1; i < MAX_KEY_SLOTS_TRIED; i++) await repo.addKey(`pass ${i}`, fastKdf());
    const error = await openError(repo.addKey('one too many', fastKdf()));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/already has 8 key slots/);
    expect(await slotNames(repo.backend)).toHaveLength(MAX_KEY_SLOTS_TRIED);
    await repo.changePassphrase('changed', fastKdf());
    expect(await slotNames(repo.backend)).toHaveLength(MAX_KEY_SLOTS_TRIED);
    expect((await Repository.open(repo.backend, 'changed')).config.id).toBe(repo.config.id);
  });
});

describe('a location with a config but no key slots', () => {
  it('is an incomplete repository (NO_REPOSITORY), not a wrong passphrase, and says how to finish it', async () => {
    const repo = await Repository.init(new MemoryBackend('memory:remote'), PASS, { kdf: fastKdf() });
    for (const name of await slotNames(repo.backend)) await repo.backend.delete(name);
    deriveSpy.mockClear();
    const error = await openError(Repository.open(repo.backend, PASS));
    expect(error.code).toBe('NO_REPOSITORY');
    expect(error.message).toMatch(/incomplete/);
    expect(error.message).toMatch(/no key slots/);
    expect(error.message).toMatch(/strata sync/);
    expect(deriveSpy).not.toHaveBeenCalled();
    // The same answer without a passphrase (the CLI asks before prompting).
    const probed = await openError(assertRepository(repo.backend));
    expect(probed.message).toBe(error.message);
    expect((await openError(assertRepository(new MemoryBackend()))).code).toBe('NO_REPOSITORY');
  });

  it('cannot be left by a sync: key slots are uploaded before the config', async () => {
    const local = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    await local.addKey('second', fastKdf());
    const order: string[] = [];
    const remote = new MemoryBackend('memory:remote');
    const recording: Backend = Object.assign(Object.create(remote) as Backend, {
      put: async (name: string, data: Uint8Array, options?: Parameters<Backend['put']>[2]) => {
        order.push(name);
        await remote.put(name, data, options);
      },
    });
    await syncRepositories(local.backend, recording, { concurrency: 1 });
    const config = order.indexOf(objectNames.config);
    const keys = order.map((n, i) => (n.startsWith(objectNames.keyPrefix) ? i : -1)).filter((i) => i >= 0);
    expect(keys).toHaveLength(2);
    expect(config).toBeGreaterThan(Math.max(...keys));
  });
});

describe('the slot this machine opened last', () => {
  it('is remembered for a local repository and tried first on the next open', async () => {
    const repoDir = join(dir.path, 'repo');
    const repo = await initRepositoryAt(repoDir, PASS, { kdf: fastKdf() });
    for (let i = 0; i < 3; i++) {
      await putSlot(repo.backend, firstName(i), await createKeySlot(repo.keys, `planted ${i}`, { repository: repo.config.id, kdf: fastKdf() }));
    }
    deriveSpy.mockClear();
    expect((await openRepositoryAt(repoDir, PASS)).keyId).toBe(repo.keyId);
    expect(deriveSpy).toHaveBeenCalledTimes(4); // the planted three sort first
    deriveSpy.mockClear();
    expect((await openRepositoryAt(repoDir, PASS)).keyId).toBe(repo.keyId);
    expect(deriveSpy).toHaveBeenCalledTimes(1);
    // A damaged hint is ignored.
    await writeFile(join(await machineStateDir(repoDir), 'last-key'), 'not a slot id\n');
    expect((await openRepositoryAt(repoDir, PASS)).keyId).toBe(repo.keyId);
  });
});

describe('version-2 slots', () => {
  it('init writes a version-2 slot bound to the repository id', async () => {
    const repo = await Repository.init(new MemoryBackend(), PASS, { kdf: fastKdf() });
    const { slot } = await theSlot(repo.backend);
    expect(slot.version).toBe(2);
    expect(slot.version === 2 ? slot.repository : '').toBe(repo.config.id);
    expect((await repo.listKeys()).map((k) => k.version)).toEqual([2]);
  });

  it('the golden version-1 repository still opens, and key passwd upgrades its slot to version 2', async () => {
    const golden = join(dir.path, 'golden');
    await cp(join(__dirname, '..', 'fixtures', 'golden-v1', 'repo'), golden, { recursive: true });
    await rm(join(golden, 'local'), { recursive: true, force: true });
    const repo = await openRepositoryAt(golden, 'golden passphrase');
    expect(repo.config.id.startsWith('05e587cb')).toBe(true);
    expect(await readFile(join(await machineStateDir(golden), 'last-key'), 'utf8')).toBe(`${repo.keyId}\n`);
    expect((await repo.listKeys()).map((k) => k.version)).toEqual([1]);
    await repo.changePassphrase('golden passphrase', fastKdf());
    const keys = await repo.listKeys();
    expect(keys.map((k) => k.version)).toEqual([2]);
    expect(await readdir(join(golden, 'keys'))).toHaveLength(1);
    const again = await openRepositoryAt(golden, 'golden passphrase');
    expect(again.config.id).toBe(repo.config.id);
    expect(again.keyId).toBe(keys[0]?.id);
  });

  it('assertRepositoryAt says "no repository" for a folder that does not exist, with no passphrase', async () => {
    const error = await openError(assertRepositoryAt(join(dir.path, 'nowhere')));
    expect(error.code).toBe('NO_REPOSITORY');
    expect(error.message).toMatch(/no repository/);
  });
});
