import { createHmac, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { seal } from './aead';
import * as kdf from './kdf';
import type { KdfParams } from './kdf';
import {
  createKeySlot,
  generateMasterKeys,
  InvalidKeySlotError,
  openKeySlot,
  parseKeySlot,
  WrongPassphraseError,
  type KeySlot,
  type KeySlotV1,
  type KeySlotV2,
  type MasterKeys,
} from './keyslot';

// Counts key derivations, so a test can prove a slot was refused before scrypt ran.
vi.mock('./kdf', async (importOriginal) => {
  const real = await importOriginal<typeof import('./kdf')>();
  return { ...real, deriveKey: vi.fn(real.deriveKey) };
});
const deriveSpy = vi.mocked(kdf.deriveKey);
beforeEach(() => {
  deriveSpy.mockClear();
});

// Small scrypt cost so the tests stay fast; production uses defaultKdfParams().
const fastKdf = (): KdfParams => ({
  algorithm: 'scrypt',
  N: 1024,
  r: 8,
  p: 1,
  salt: randomBytes(16).toString('base64'),
});

const REPO = 'a'.repeat(64);
const OTHER_REPO = 'b'.repeat(64);

const hexKeys = (m: MasterKeys): string[] => [m.encryption, m.contentId, m.chunker].map((k) => Buffer.from(k).toString('hex'));

async function expectWrongPassphrase(promise: Promise<unknown>): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongPassphraseError);
  expect((error as WrongPassphraseError).code).toBe('WRONG_PASSPHRASE');
  expect((error as Error).message).toMatch(/wrong passphrase/);
}

/** A version-1 slot made exactly as format.md 3.3 says (Strata before v2 slots wrote these). */
async function v1Slot(master: MasterKeys, passphrase: string, params: KdfParams = fastKdf()): Promise<KeySlotV1> {
  const kek = await kdf.deriveKey(passphrase, params, 32);
  const keys = Buffer.concat([master.encryption, master.contentId, master.chunker]);
  const wrapped = seal(kek, keys, new TextEncoder().encode('strata keyslot v1'));
  return { version: 1, kdf: params, created: '2025-01-02T03:04:05.678Z', host: 'old', user: 'u', wrapped: Buffer.from(wrapped).toString('base64') };
}

describe('generateMasterKeys', () => {
  it('makes three distinct 32-byte keys, fresh each time', () => {
    const a = generateMasterKeys();
    const b = generateMasterKeys();
    for (const k of [a.encryption, a.contentId, a.chunker]) expect(k.length).toBe(32);
    expect(new Set([...hexKeys(a), ...hexKeys(b)]).size).toBe(6);
  });
});

describe('key slots', () => {
  it('new slots are version 2, bound to the repository, with a commitment, and round-trip the master keys', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'correct horse battery staple', { repository: REPO, kdf: fastKdf(), host: 'laptop', user: 'ana' });
    expect(slot).toMatchObject({ version: 2, repository: REPO, host: 'laptop', user: 'ana', kdf: { algorithm: 'scrypt', N: 1024 } });
    expect(Date.parse(slot.created)).not.toBeNaN();
    expect(Buffer.from(slot.wrapped, 'base64').length).toBe(24 + 96 + 16);
    expect(Buffer.from(slot.commitment, 'base64').length).toBe(32);
    expect(hexKeys(await openKeySlot(slot, 'correct horse battery staple'))).toEqual(hexKeys(master));
  });

  it('derives 64 bytes once: wrap key, then commitment key (format.md 3.3)', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'pw', { repository: REPO, kdf: fastKdf() });
    const derived = await kdf.deriveKey('pw', slot.kdf, 64);
    const expected = createHmac('sha256', derived.subarray(32)).update(`strata keyslot v2 commitment ${REPO}`).digest('base64');
    expect(slot.commitment).toBe(expected);
    deriveSpy.mockClear();
    await openKeySlot(slot, 'pw');
    expect(deriveSpy).toHaveBeenCalledTimes(1);
    expect(deriveSpy.mock.calls[0]?.[2]).toBe(64);
  });

  it('survives JSON serialisation and parseKeySlot', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'pw', { repository: REPO, kdf: fastKdf() });
    const reread = parseKeySlot(JSON.parse(JSON.stringify(slot)));
    expect(reread).toEqual(slot);
    expect(hexKeys(await openKeySlot(reread, 'pw'))).toEqual(hexKeys(master));
  });

  it('opens with the NFC-equivalent spelling of the passphrase', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'caf\u00e9', { repository: REPO, kdf: fastKdf() });
    expect(hexKeys(await openKeySlot(slot, 'cafe\u0301'))).toEqual(hexKeys(master));
  });

  it('rejects a wrong passphrase with WrongPassphraseError', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'right', { repository: REPO, kdf: fastKdf() });
    await expectWrongPassphrase(openKeySlot(slot, 'wrong'));
    await expectWrongPassphrase(openKeySlot(slot, 'Right'));
  });

  it('rejects a commitment that does not match, even with the right passphrase and an intact wrap', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'pw', { repository: REPO, kdf: fastKdf() });
    const commitment = Buffer.from(slot.commitment, 'base64');
    for (const index of [0, 17, 31]) {
      const tampered = Buffer.from(commitment);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      await expectWrongPassphrase(openKeySlot({ ...slot, commitment: tampered.toString('base64') }, 'pw'));
    }
  });

  it('binds the repository id: the same slot relabelled for another repository does not open', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'pw', { repository: REPO, kdf: fastKdf() });
    await expectWrongPassphrase(openKeySlot({ ...slot, repository: OTHER_REPO }, 'pw'));
  });

  it('rejects a tampered wrapped blob, salt or cost with WrongPassphraseError', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'pw', { repository: REPO, kdf: fastKdf() });
    const wrapped = Buffer.from(slot.wrapped, 'base64');
    for (const index of [0, 23, 24, 60, wrapped.length - 1]) {
      const tampered = Buffer.from(wrapped);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      await expectWrongPassphrase(openKeySlot({ ...slot, wrapped: tampered.toString('base64') }, 'pw'));
    }
    const salt = Buffer.from(slot.kdf.salt, 'base64');
    salt[0] = (salt[0] ?? 0) ^ 0x01;
    await expectWrongPassphrase(openKeySlot({ ...slot, kdf: { ...slot.kdf, salt: salt.toString('base64') } }, 'pw'));
    await expectWrongPassphrase(openKeySlot({ ...slot, kdf: { ...slot.kdf, N: 2048 } }, 'pw'));
  });

  it('two slots with different passphrases open to the same master keys', async () => {
    const master = generateMasterKeys();
    const first = await createKeySlot(master, 'first passphrase', { repository: REPO, kdf: fastKdf() });
    const second = await createKeySlot(master, 'second passphrase', { repository: REPO, kdf: fastKdf() });
    expect(first.wrapped).not.toBe(second.wrapped);
    const a = await openKeySlot(first, 'first passphrase');
    const b = await openKeySlot(second, 'second passphrase');
    expect(hexKeys(a)).toEqual(hexKeys(master));
    expect(hexKeys(b)).toEqual(hexKeys(a));
    await expectWrongPassphrase(openKeySlot(first, 'second passphrase'));
  });

  it('refuses an empty passphrase, malformed master keys and a missing repository id', async () => {
    await expect(createKeySlot(generateMasterKeys(), '', { repository: REPO, kdf: fastKdf() })).rejects.toThrow(/passphrase/);
    const bad = { ...generateMasterKeys(), chunker: new Uint8Array(16) };
    await expect(createKeySlot(bad, 'pw', { repository: REPO, kdf: fastKdf() })).rejects.toThrow(/chunker/);
    await expect(createKeySlot(generateMasterKeys(), 'pw', { repository: 'xyz', kdf: fastKdf() })).rejects.toThrow(/repository/);
  });

  it('refuses a planted slot with costly KDF params before deriving anything', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'pw', { repository: REPO, kdf: fastKdf() });
    deriveSpy.mockClear();
    // All but the first were accepted before the read caps: 16 times the default work, 512 MiB, 1 GiB.
    for (const costly of [{ N: 2 ** 30, r: 8, p: 1 }, { N: 2 ** 16, r: 8, p: 16 }, { N: 2 ** 19, r: 8, p: 1 }, { N: 2 ** 20, r: 8, p: 2 }]) {
      await expect(openKeySlot({ ...slot, kdf: { ...slot.kdf, ...costly } }, 'pw')).rejects.toThrow(InvalidKeySlotError);
      const v1 = { version: 1, kdf: { ...slot.kdf, ...costly }, created: slot.created, host: 'h', user: 'u', wrapped: slot.wrapped } as const;
      await expect(openKeySlot(v1, 'pw')).rejects.toThrow(InvalidKeySlotError);
    }
    expect(deriveSpy).not.toHaveBeenCalled();
    await expect(createKeySlot(generateMasterKeys(), 'pw', { repository: REPO, kdf: { ...fastKdf(), r: 1000 } })).rejects.toThrow(/r must/);
  });
});

describe('the version-2 slot of format.md 4.5 (a test vector)', () => {
  const slot: unknown = {
    version: 2,
    repository: '0745dfeb0d5ffcd0e1c917064590e802ad4401acd6086991751112263d11b6a9',
    kdf: { algorithm: 'scrypt', N: 65536, r: 8, p: 2, salt: 'lVUhFq22jhgZt3HVoCKCFw==' },
    created: '2026-12-04T15:35:13.529Z',
    host: 'vm',
    user: 'root',
    commitment: 'zVg0jqHYW8l6BcXn6GTXhdLDHPID8SSa+Du1qjt/DLw=',
    wrapped: 'Rf1Bz6+Vv0G3Gqv/Si79PzIfSQ4adOL9ju+msP9vW7o9Wq+cimNfABkuaOW9BhTjFsGAi9TY0X0XrgyG33j1g27nv5LwZdhfl+iqP9MJquCRLPQk/BDVJpERk/+IP0NGceFB5hwDOyYj4Rya4gpkr2WjrGy/BjSb+4Ov2YpYlxk0WSil1kVzyQ==',
  };

  it('opens with the passphrase "pw" (default KDF parameters), and not with another', async () => {
    const parsed = parseKeySlot(slot);
    expect(parsed.version).toBe(2);
    expect((await openKeySlot(parsed, 'pw')).encryption.length).toBe(32);
    await expectWrongPassphrase(openKeySlot(parsed, 'pW'));
  });
});

describe('version-1 key slots (still read)', () => {
  it('opens a v1 slot written as format.md 3.3 describes', async () => {
    const master = generateMasterKeys();
    const slot = parseKeySlot(JSON.parse(JSON.stringify(await v1Slot(master, 'old pw'))));
    expect(slot.version).toBe(1);
    expect(hexKeys(await openKeySlot(slot, 'old pw'))).toEqual(hexKeys(master));
    await expectWrongPassphrase(openKeySlot(slot, 'other'));
  });

  it('opens the golden repository\'s v1 slot with its passphrase', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const keys = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'golden-v1', 'repo', 'keys');
    const [name] = await readdir(keys);
    const slot = parseKeySlot(JSON.parse(await readFile(join(keys, name ?? ''), 'utf8')));
    expect(slot.version).toBe(1);
    expect((await openKeySlot(slot, 'golden passphrase')).encryption.length).toBe(32);
    await expectWrongPassphrase(openKeySlot(slot, 'golden passphrase!'));
  });
});

describe('parseKeySlot', () => {
  const v1: KeySlotV1 = {
    version: 1,
    kdf: { algorithm: 'scrypt', N: 1024, r: 8, p: 1, salt: Buffer.alloc(16, 3).toString('base64') },
    created: '2025-01-02T03:04:05.678Z',
    host: 'h',
    user: 'u',
    wrapped: Buffer.alloc(136, 5).toString('base64'),
  };
  const v2: KeySlotV2 = {
    version: 2,
    repository: REPO,
    kdf: v1.kdf,
    created: v1.created,
    host: 'h',
    user: 'u',
    commitment: Buffer.alloc(32, 9).toString('base64'),
    wrapped: v1.wrapped,
  };

  it('accepts valid v1 and v2 slots and drops unknown fields', () => {
    expect(parseKeySlot({ ...v1, comment: 'x' })).toEqual(v1);
    expect(parseKeySlot({ ...v2, comment: 'x' })).toEqual(v2);
    // A v1 slot's reader ignores v2-only fields (a v1 slot has no binding to pass on).
    expect(parseKeySlot({ ...v1, repository: REPO })).toEqual(v1);
  });

  const rejections: [string, unknown, RegExp][] = [
    ['a non-object', '{"version":1}', /must be a JSON object/],
    ['null', null, /must be a JSON object/],
    ['another version', { ...v1, version: 3 }, /unsupported key slot version 3/],
    ['a missing version', { ...v1, version: undefined }, /version/],
    ['missing kdf', { ...v1, kdf: undefined }, /kdf|KDF parameters/],
    ['hostile kdf (N too large)', { ...v1, kdf: { ...v1.kdf, N: 2 ** 24 } }, /at most 2\^22/],
    ['hostile kdf (1 GiB)', { ...v2, kdf: { ...v1.kdf, N: 2 ** 20 } }, /limit is 256 MiB/],
    ['kdf without salt', { ...v1, kdf: { ...v1.kdf, salt: undefined } }, /salt is missing/],
    ['a bad date', { ...v1, created: 'yesterday' }, /created/],
    ['a non-string host', { ...v1, host: 7 }, /'host' must be a string/],
    ['a huge user label', { ...v1, user: 'x'.repeat(10_000) }, /'user' is longer/],
    ['non-base64 wrapped', { ...v1, wrapped: '!!!!' }, /'wrapped' must be standard padded base64/],
    ['short wrapped', { ...v1, wrapped: Buffer.alloc(100).toString('base64') }, /'wrapped' is 100 bytes, expected 136/],
    ['a v2 slot without a repository', { ...v2, repository: undefined }, /'repository' must be 64 lowercase hex digits/],
    ['a v2 slot with an uppercase repository id', { ...v2, repository: 'A'.repeat(64) }, /'repository'/],
    ['a v2 slot without a commitment', { ...v2, commitment: undefined }, /'commitment' must be standard padded base64/],
    ['a v2 slot with a short commitment', { ...v2, commitment: Buffer.alloc(16).toString('base64') }, /'commitment' is 16 bytes, expected 32/],
  ];
  for (const [name, value, message] of rejections) {
    it(`rejects ${name} with InvalidKeySlotError`, () => {
      expect(() => parseKeySlot(value)).toThrow(InvalidKeySlotError);
      expect(() => parseKeySlot(value)).toThrow(message);
    });
  }

  it('types a parsed slot by version', () => {
    const slot: KeySlot = parseKeySlot(v2);
    expect(slot.version === 2 ? slot.repository : undefined).toBe(REPO);
  });
});
