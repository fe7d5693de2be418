import { describe, expect, it } from 'vitest';
import { ContentIdHasher, idFromHex, idToHex } from './content-id';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('ContentIdHasher', () => {
  it('computes HMAC-SHA256: RFC 4231 test case 2', () => {
    const hasher = new ContentIdHasher(utf8('Jefe'));
    const id = hasher.id(utf8('what do ya want for nothing?'));
    expect(id.length).toBe(32);
    expect(idToHex(id)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('gives different ids under different keys, equal ids for equal data', () => {
    const data = utf8('the same chunk');
    const a = new ContentIdHasher(new Uint8Array(32).fill(1));
    const b = new ContentIdHasher(new Uint8Array(32).fill(2));
    expect(idToHex(a.id(data))).toBe(idToHex(a.id(data.slice())));
    expect(idToHex(a.id(data))).not.toBe(idToHex(b.id(data)));
    expect(idToHex(a.id(data))).not.toBe(idToHex(a.id(utf8('another chunk'))));
  });

  it('is unaffected by later changes to the key array', () => {
    const key = new Uint8Array(32).fill(9);
    const hasher = new ContentIdHasher(key);
    const before = idToHex(hasher.id(utf8('x')));
    key.fill(0);
    expect(idToHex(hasher.id(utf8('x')))).toBe(before);
  });

  it('rejects an empty key', () => {
    expect(() => new ContentIdHasher(new Uint8Array(0))).toThrow(/non-empty/);
  });
});

describe('idToHex / idFromHex', () => {
  const hex = '00ff' + 'ab'.repeat(30);

  it('round-trips', () => {
    const id = idFromHex(hex);
    expect(id.length).toBe(32);
    expect(id[1]).toBe(0xff);
    expect(idToHex(id)).toBe(hex);
  });

  it('rejects anything but 64 lowercase hex characters', () => {
    for (const bad of ['', hex.slice(2), hex + '00', hex.toUpperCase(), 'g' + hex.slice(1), ` ${hex.slice(1)}`, `${hex}\n`]) {
      expect(() => idFromHex(bad)).toThrow(/64 lowercase hex/);
    }
  });

  it('rejects ids that are not 32 bytes', () => {
    expect(() => idToHex(new Uint8Array(31))).toThrow(RangeError);
  });
});
