import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  hchacha20,
  innerKeyAndNonce,
  open,
  openInner,
  seal,
  SEAL_OVERHEAD,
  sealInnerInto,
  xchachaDecrypt,
  xchachaEncrypt,
} from './aead';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const range = (start: number, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => start + i);
const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}

describe('hchacha20', () => {
  it('matches draft-irtf-cfrg-xchacha-03 section 2.2.1', () => {
    const subkey = hchacha20(range(0, 32), hex('000000090000004a0000000031415927'));
    expect(toHex(subkey)).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('handles unaligned views of larger buffers', () => {
    const backing = new Uint8Array(64);
    backing.set(range(0, 32), 1);
    backing.set(hex('000000090000004a0000000031415927'), 33);
    const subkey = hchacha20(backing.subarray(1, 33), backing.subarray(33, 49));
    expect(toHex(subkey)).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });
});

describe('xchachaEncrypt / xchachaDecrypt', () => {
  // draft-irtf-cfrg-xchacha-03 appendix A.3.1
  const key = range(0x80, 32);
  const nonce = range(0x40, 24);
  const ad = hex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const expectedCiphertext =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e';
  const expectedTag = 'c0875924c1c7987947deafd8780acf49';

  it('matches the draft A.3.1 AEAD test vector', () => {
    const sealed = xchachaEncrypt(key, nonce, plaintext, ad);
    expect(toHex(sealed)).toBe(expectedCiphertext + expectedTag);
    expect(xchachaDecrypt(key, nonce, sealed, ad)).toEqual(plaintext);
  });

  it('is byte-identical to @noble/ciphers xchacha20poly1305 on random inputs', () => {
    const lengths = [0, 1, 15, 16, 17, 63, 64, 65, 255, 1000, 4096, 65535, 65536, 65537, 1024 * 1024, 1024 * 1024 + 7];
    for (const length of lengths) {
      for (let round = 0; round < 3; round++) {
        const k = rand(32);
        const n = rand(24);
        const a = rand(round === 0 ? 0 : round * 13);
        const p = rand(length);
        const ours = xchachaEncrypt(k, n, p, a);
        const noble = xchacha20poly1305(k, n, a).encrypt(p);
        expect(ours.length).toBe(length + 16);
        expect(Buffer.from(ours).equals(Buffer.from(noble))).toBe(true);
        const back = xchachaDecrypt(k, n, noble, a);
        expect(Buffer.from(back).equals(Buffer.from(p))).toBe(true);
      }
    }
  });

  it('returns plain Uint8Arrays that own their memory (small and large)', () => {
    for (const input of [plaintext, rand(100_000)]) {
      const encrypted = xchachaEncrypt(key, nonce, input, ad);
      const out = xchachaDecrypt(key, nonce, encrypted, ad);
      for (const bytes of [encrypted, out]) {
        expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
        expect(bytes.byteOffset).toBe(0);
        expect(bytes.buffer.byteLength).toBe(bytes.length);
      }
      expect(Buffer.from(out).equals(input)).toBe(true);
    }
  });

  describe('rejects tampering with AuthenticationError', () => {
    const sealed = xchachaEncrypt(key, nonce, plaintext, ad);
    const expectAuthFailure = (f: () => Uint8Array): void => {
      let result: Uint8Array | undefined;
      let caught: unknown;
      try {
        result = f();
      } catch (error) {
        caught = error;
      }
      expect(result).toBeUndefined();
      expect(caught).toBeInstanceOf(AuthenticationError);
      expect((caught as AuthenticationError).code).toBe('AUTH_FAILED');
    };

    it('a flipped bit anywhere in the ciphertext', () => {
      for (let i = 0; i < plaintext.length; i += 7) {
        expectAuthFailure(() => xchachaDecrypt(key, nonce, flipBit(sealed, i, i % 8), ad));
      }
    });
    it('a flipped bit in the tag', () => {
      for (let i = plaintext.length; i < sealed.length; i++) {
        expectAuthFailure(() => xchachaDecrypt(key, nonce, flipBit(sealed, i, 7), ad));
      }
    });
    it('a flipped bit in the associated data, or missing/extra AD', () => {
      expectAuthFailure(() => xchachaDecrypt(key, nonce, sealed, flipBit(ad, 0)));
      expectAuthFailure(() => xchachaDecrypt(key, nonce, sealed, ad.subarray(1)));
      expectAuthFailure(() => xchachaDecrypt(key, nonce, sealed, new Uint8Array(0)));
    });
    it('a flipped bit in the nonce (both the HChaCha part and the inner part)', () => {
      expectAuthFailure(() => xchachaDecrypt(key, flipBit(nonce, 3), sealed, ad));
      expectAuthFailure(() => xchachaDecrypt(key, flipBit(nonce, 20), sealed, ad));
    });
    it('a different key', () => {
      expectAuthFailure(() => xchachaDecrypt(flipBit(key, 31), nonce, sealed, ad));
    });
    it('truncated input, including shorter than the tag and empty', () => {
      for (const length of [sealed.length - 1, 16, 15, 1, 0]) {
        expectAuthFailure(() => xchachaDecrypt(key, nonce, sealed.subarray(0, length), ad));
      }
    });
    it('appended bytes', () => {
      const longer = new Uint8Array(sealed.length + 1);
      longer.set(sealed);
      expectAuthFailure(() => xchachaDecrypt(key, nonce, longer, ad));
    });
  });

  it('rejects bad key and nonce lengths with clear errors', () => {
    expect(() => xchachaEncrypt(new Uint8Array(16), nonce, plaintext, ad)).toThrow(/key must be 32 bytes, got 16/);
    expect(() => xchachaEncrypt(key, new Uint8Array(12), plaintext, ad)).toThrow(/nonce must be 24 bytes, got 12/);
    expect(() => xchachaDecrypt(key, new Uint8Array(25), new Uint8Array(32), ad)).toThrow(RangeError);
  });
});

describe('seal / open', () => {
  it('round-trips with a fresh nonce and SEAL_OVERHEAD bytes of overhead', () => {
    const key = rand(32);
    const ad = new TextEncoder().encode('object/type name');
    for (const length of [0, 1, 100, 70_000]) {
      const plaintext = rand(length);
      const a = seal(key, plaintext, ad);
      const b = seal(key, plaintext, ad);
      expect(SEAL_OVERHEAD).toBe(40);
      expect(a.length).toBe(length + SEAL_OVERHEAD);
      expect(toHex(a.subarray(0, 24))).not.toBe(toHex(b.subarray(0, 24)));
      // Buffer.equals: toEqual walks large arrays element by element (slow).
      expect(Buffer.from(open(key, a, ad)).equals(plaintext)).toBe(true);
      expect(Buffer.from(open(key, b, ad)).equals(plaintext)).toBe(true);
    }
  });

  it('is readable by noble with the nonce prefix', () => {
    const key = rand(32);
    const ad = rand(5);
    const plaintext = rand(333);
    const sealed = seal(key, plaintext, ad);
    expect(xchacha20poly1305(key, sealed.subarray(0, 24), ad).decrypt(sealed.subarray(24))).toEqual(plaintext);
  });

  it('rejects tampering, wrong AD and truncation with AuthenticationError', () => {
    const key = rand(32);
    const ad = rand(8);
    const sealed = seal(key, rand(50), ad);
    for (let i = 0; i < sealed.length; i++) {
      expect(() => open(key, flipBit(sealed, i), ad)).toThrow(AuthenticationError);
    }
    expect(() => open(key, sealed, flipBit(ad, 2))).toThrow(AuthenticationError);
    for (const length of [sealed.length - 1, SEAL_OVERHEAD, SEAL_OVERHEAD - 1, 24, 0]) {
      expect(() => open(key, sealed.subarray(0, length), ad)).toThrow(AuthenticationError);
    }
  });

  it('reports a wrong-length key as a caller error even for short input', () => {
    expect(() => open(new Uint8Array(31), new Uint8Array(10), new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('sealInnerInto / openInner (the two steps apart, as the blob workers run them)', () => {
  it('write what seal() writes for the same nonce, and open() and openInner read each other', () => {
    const key = rand(32);
    const ad = rand(9);
    const plaintext = rand(200_000);
    const nonce = rand(24);
    const out = new Uint8Array(plaintext.length + SEAL_OVERHEAD + 3);
    expect(sealInnerInto(out, 3, nonce, innerKeyAndNonce(key, nonce), plaintext, ad)).toBe(plaintext.length + SEAL_OVERHEAD);
    const sealed = out.subarray(3);
    expect(toHex(sealed.subarray(0, 24))).toBe(toHex(nonce));
    expect(toHex(sealed.subarray(24))).toBe(toHex(xchachaEncrypt(key, nonce, plaintext, ad)));
    expect(toHex(open(key, sealed, ad))).toBe(toHex(plaintext));
    const other = seal(key, plaintext, ad);
    expect(toHex(openInner(innerKeyAndNonce(key, other.subarray(0, 24)), other, ad))).toBe(toHex(plaintext));
    expect(() => sealInnerInto(new Uint8Array(10), 0, nonce, innerKeyAndNonce(key, nonce), plaintext, ad)).toThrow(/output buffer too small/);
  });

  it('decrypt in place over the ciphertext, and wipe it when it fails authentication', () => {
    const key = rand(32);
    const ad = rand(4);
    const plaintext = rand(150_000);
    const sealed = seal(key, plaintext, ad);
    const inner = innerKeyAndNonce(key, sealed.subarray(0, 24));
    const tampered = flipBit(sealed, 1000);
    const opened = openInner(inner, sealed, ad, true);
    expect(opened.buffer).toBe(sealed.buffer);
    expect(opened.byteOffset).toBe(24);
    expect(toHex(opened)).toBe(toHex(plaintext));
    expect(() => openInner(inner, tampered, ad, true)).toThrow(AuthenticationError);
    expect(tampered.subarray(24, 24 + plaintext.length).every((b) => b === 0)).toBe(true);
    expect(() => openInner(inner, sealed.subarray(0, SEAL_OVERHEAD - 1), ad)).toThrow(AuthenticationError);
  });
});
