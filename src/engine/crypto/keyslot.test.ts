import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KdfParams } from './kdf';
import {
  createKeySlot,
  generateMasterKeys,
  InvalidKeySlotError,
  openKeySlot,
  parseKeySlot,
  WrongPassphraseError,
  type KeySlot,
  type MasterKeys,
} from './keyslot';

// Small scrypt cost so the tests stay fast; production uses defaultKdfParams().
const fastKdf = (): KdfParams => ({
  algorithm: 'scrypt',
  N: 1024,
  r: 8,
  p: 1,
  salt: randomBytes(16).toString('base64'),
});

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

describe('generateMasterKeys', () => {
  it('makes three distinct 32-byte keys, fresh each time', () => {
    const a = generateMasterKeys();
    const b = generateMasterKeys();
    for (const k of [a.encryption, a.contentId, a.chunker]) expect(k.length).toBe(32);
    expect(new Set([...hexKeys(a), ...hexKeys(b)]).size).toBe(6);
  });
});

describe('key slots', () => {
  it('round-trips the master keys', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'correct horse battery staple', { kdf: fastKdf(), host: 'laptop', user: 'ana' });
    expect(slot).toMatchObject({ version: 1, host: 'laptop', user: 'ana', kdf: { algorithm: 'scrypt', N: 1024 } });
    expect(Date.parse(slot.created)).not.toBeNaN();
    expect(Buffer.from(slot.wrapped, 'base64').length).toBe(24 + 96 + 16);
    expect(hexKeys(await openKeySlot(slot, 'correct horse battery staple'))).toEqual(hexKeys(master));
  });

  it('survives JSON serialisation and parseKeySlot', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'pw', { kdf: fastKdf() });
    const reread = parseKeySlot(JSON.parse(JSON.stringify(slot)));
    expect(reread).toEqual(slot);
    expect(typeof reread.host).toBe('string');
    expect(hexKeys(await openKeySlot(reread, 'pw'))).toEqual(hexKeys(master));
  });

  it('opens with the NFC-equivalent spelling of the passphrase', async () => {
    const master = generateMasterKeys();
    const slot = await createKeySlot(master, 'caf\u00e9', { kdf: fastKdf() });
    expect(hexKeys(await openKeySlot(slot, 'cafe\u0301'))).toEqual(hexKeys(master));
  });

  it('rejects a wrong passphrase with WrongPassphraseError', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'right', { kdf: fastKdf() });
    await expectWrongPassphrase(openKeySlot(slot, 'wrong'));
    await expectWrongPassphrase(openKeySlot(slot, 'Right'));
  });

  it('rejects a tampered wrapped blob, salt or cost with WrongPassphraseError', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'pw', { kdf: fastKdf() });
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
    const first = await createKeySlot(master, 'first passphrase', { kdf: fastKdf() });
    const second = await createKeySlot(master, 'second passphrase', { kdf: fastKdf() });
    expect(first.wrapped).not.toBe(second.wrapped);
    const a = await openKeySlot(first, 'first passphrase');
    const b = await openKeySlot(second, 'second passphrase');
    expect(hexKeys(a)).toEqual(hexKeys(master));
    expect(hexKeys(b)).toEqual(hexKeys(a));
    await expectWrongPassphrase(openKeySlot(first, 'second passphrase'));
  });

  it('refuses an empty passphrase and malformed master keys', async () => {
    await expect(createKeySlot(generateMasterKeys(), '', { kdf: fastKdf() })).rejects.toThrow(/passphrase/);
    const bad = { ...generateMasterKeys(), chunker: new Uint8Array(16) };
    await expect(createKeySlot(bad, 'pw', { kdf: fastKdf() })).rejects.toThrow(/chunker/);
  });

  it('refuses hostile KDF params before deriving anything', async () => {
    const slot = await createKeySlot(generateMasterKeys(), 'pw', { kdf: fastKdf() });
    await expect(openKeySlot({ ...slot, kdf: { ...slot.kdf, N: 2 ** 30 } }, 'pw')).rejects.toThrow(InvalidKeySlotError);
    await expect(createKeySlot(generateMasterKeys(), 'pw', { kdf: { ...fastKdf(), r: 1000 } })).rejects.toThrow(/r must/);
  });
});

describe('parseKeySlot', () => {
  const valid: KeySlot = {
    version: 1,
    kdf: { algorithm: 'scrypt', N: 1024, r: 8, p: 1, salt: Buffer.alloc(16, 3).toString('base64') },
    created: '2025-01-02T03:04:05.678Z',
    host: 'h',
    user: 'u',
    wrapped: Buffer.alloc(136, 5).toString('base64'),
  };

  it('accepts a valid slot and drops unknown fields', () => {
    expect(parseKeySlot({ ...valid, comment: 'x' })).toEqual(valid);
  });

  const rejections: [string, unknown, RegExp][] = [
    ['a non-object', '{"version":1}', /must be a JSON object/],
    ['null', null, /must be a JSON object/],
    ['another version', { ...valid, version: 2 }, /unsupported key slot version 2/],
    ['a missing version', { ...valid, version: undefined }, /version/],
    ['missing kdf', { ...valid, kdf: undefined }, /kdf|KDF parameters/],
    ['hostile kdf (N too large)', { ...valid, kdf: { ...valid.kdf, N: 2 ** 24 } }, /at most 2\^22/],
    ['kdf without salt', { ...valid, kdf: { ...valid.kdf, salt: undefined } }, /salt is missing/],
    ['a bad date', { ...valid, created: 'yesterday' }, /created/],
    ['a non-string host', { ...valid, host: 7 }, /'host' must be a string/],
    ['a huge user label', { ...valid, user: 'x'.repeat(10_000) }, /'user' is longer/],
    ['non-base64 wrapped', { ...valid, wrapped: '!!!!' }, /'wrapped' must be standard padded base64/],
    ['short wrapped', { ...valid, wrapped: Buffer.alloc(100).toString('base64') }, /'wrapped' is 100 bytes, expected 136/],
  ];
  for (const [name, value, message] of rejections) {
    it(`rejects ${name} with InvalidKeySlotError`, () => {
      expect(() => parseKeySlot(value)).toThrow(InvalidKeySlotError);
      expect(() => parseKeySlot(value)).toThrow(message);
    });
  }
});
