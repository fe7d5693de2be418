import { describe, expect, it } from 'vitest';
import { defaultKdfParams, deriveKey, InvalidKdfParamsError, MAX_KDF_MEMORY_BYTES, MAX_KDF_WORK, validateKdfParams, type KdfParams } from './kdf';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const scryptParams = (N: number, r: number, p: number, salt: string): KdfParams => ({ algorithm: 'scrypt', N, r, p, salt });

describe('deriveKey', () => {
  // RFC 7914 section 12. The fourth vector (N=1048576, r=8) needs 1 GiB of
  // memory and several seconds, so it is left out of the unit tests.
  const vectors = [
    {
      passphrase: '',
      params: scryptParams(16, 1, 1, ''),
      expected:
        '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906',
    },
    {
      passphrase: 'password',
      params: scryptParams(1024, 8, 16, b64('NaCl')),
      expected:
        'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    },
    {
      passphrase: 'pleaseletmein',
      params: scryptParams(16384, 8, 1, b64('SodiumChloride')),
      expected:
        '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887',
    },
  ];
  for (const [i, v] of vectors.entries()) {
    it(`matches RFC 7914 vector ${i + 1} (N=${v.params.N}, r=${v.params.r}, p=${v.params.p})`, async () => {
      expect(toHex(await deriveKey(v.passphrase, v.params, 64))).toBe(v.expected);
    });
  }

  it('defaults to 32 bytes and normalises the passphrase to NFC', async () => {
    const params = scryptParams(1024, 8, 1, b64('0123456789abcdef'));
    const composed = await deriveKey('caf\u00e9', params);
    const decomposed = await deriveKey('cafe\u0301', params);
    expect(composed.length).toBe(32);
    expect(toHex(decomposed)).toBe(toHex(composed));
    expect(toHex(await deriveKey('cafe', params))).not.toBe(toHex(composed));
  });

  it('enforces the cost bounds even when called directly', async () => {
    await expect(deriveKey('x', scryptParams(2 ** 23, 1, 1, ''))).rejects.toThrow(InvalidKdfParamsError);
    await expect(deriveKey('x', scryptParams(2 ** 20, 8, 1, ''))).rejects.toThrow(/limit is 256 MiB/);
    await expect(deriveKey('x', scryptParams(2 ** 16, 8, 16, ''))).rejects.toThrow(/default work/);
    await expect(deriveKey('x', scryptParams(1000, 1, 1, ''))).rejects.toThrow(/power of two/);
    await expect(deriveKey('x', scryptParams(16, 1, 1, 'not base64!'))).rejects.toThrow(/base64/);
    await expect(deriveKey('x', scryptParams(16, 1, 1, ''), 0)).rejects.toThrow(RangeError);
  });
});

describe('defaultKdfParams', () => {
  it('is N=2^16, r=8, p=2 with a fresh 16-byte salt, and passes validation', () => {
    const a = defaultKdfParams();
    const b = defaultKdfParams();
    expect(a).toMatchObject({ algorithm: 'scrypt', N: 65536, r: 8, p: 2 });
    expect(Buffer.from(a.salt, 'base64').length).toBe(16);
    expect(a.salt).not.toBe(b.salt);
    expect(validateKdfParams(a)).toEqual(a);
  });
});

describe('validateKdfParams', () => {
  const good = scryptParams(1024, 8, 1, Buffer.alloc(16, 7).toString('base64'));

  it('returns a clean copy of good params, dropping unknown fields', () => {
    expect(validateKdfParams({ ...good, extra: 'ignored' })).toEqual(good);
  });

  const rejections: [string, unknown, RegExp][] = [
    ['not an object', 'scrypt', /must be an object/],
    ['null', null, /must be an object/],
    ['an array', [], /must be an object/],
    ['another algorithm', { ...good, algorithm: 'argon2id' }, /unsupported KDF algorithm "argon2id"/],
    ['N not a power of two', { ...good, N: 1000 }, /power of two/],
    ['N = 1', { ...good, N: 1 }, /power of two/],
    ['N = 0', { ...good, N: 0 }, /power of two/],
    ['N negative', { ...good, N: -1024 }, /power of two/],
    ['N fractional', { ...good, N: 1024.5 }, /power of two/],
    ['N a string', { ...good, N: '1024' }, /power of two/],
    ['N above 2^22', { ...good, N: 2 ** 23 }, /at most 2\^22/],
    ['N huge', { ...good, N: 2 ** 60 }, /N must/],
    ['r above 32', { ...good, r: 33 }, /r must be an integer in 1\.\.32/],
    ['r zero', { ...good, r: 0 }, /r must/],
    ['p above 16', { ...good, p: 17 }, /p must be an integer in 1\.\.16/],
    ['p missing', { ...good, p: undefined }, /p must/],
    ['N and r together over the memory cap', { ...good, N: 2 ** 22, r: 32 }, /MiB/],
    // Read caps (a planted slot must not cost a GiB or seconds): 256 MiB of memory, 4x the default's work.
    ['the old 1 GiB bound (N = 2^20, r = 8)', { ...good, N: 2 ** 20, r: 8, p: 1 }, /1024 MiB; the limit is 256 MiB/],
    ['memory just over 256 MiB (N = 2^19, r = 8)', { ...good, N: 2 ** 19, r: 8, p: 1 }, /512 MiB; the limit is 256 MiB/],
    ['work over 4x the default (N = 2^16, r = 8, p = 16)', { ...good, N: 2 ** 16, r: 8, p: 16 }, /8 times the default work; the limit is 4 times/],
    ['work over 4x the default (N = 2^18, r = 8, p = 4)', { ...good, N: 2 ** 18, r: 8, p: 4 }, /8 times the default work/],
    ['salt missing', { ...good, salt: undefined }, /salt is missing/],
    ['salt empty', { ...good, salt: '' }, /salt is missing/],
    ['salt not base64', { ...good, salt: 'abc$defg' }, /base64/],
    ['salt too short', { ...good, salt: Buffer.alloc(8).toString('base64') }, /16\.\.64 bytes, got 8/],
    ['salt too long', { ...good, salt: Buffer.alloc(65).toString('base64') }, /got 65/],
  ];
  for (const [name, value, message] of rejections) {
    it(`rejects ${name}`, () => {
      expect(() => validateKdfParams(value)).toThrow(InvalidKdfParamsError);
      expect(() => validateKdfParams(value)).toThrow(message);
    });
  }

  it('accepts the bounds themselves', () => {
    expect(validateKdfParams({ ...good, N: 2 ** 18, r: 8, p: 2 }).N).toBe(2 ** 18); // 256 MiB, 4x the default's work
    expect(validateKdfParams({ ...good, N: 2 ** 16, r: 8, p: 8 }).p).toBe(8);
    expect(validateKdfParams({ ...good, N: 2 ** 21, r: 1, p: 2 }).N).toBe(2 ** 21);
    expect(validateKdfParams({ ...good, N: 2, r: 32 }).r).toBe(32);
    expect(MAX_KDF_MEMORY_BYTES).toBe(256 * 2 ** 20);
    expect(MAX_KDF_WORK).toBe(4 * 2 ** 16 * 8 * 2);
  });
});
