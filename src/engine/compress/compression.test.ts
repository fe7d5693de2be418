// The compression policy as production runs it: compressionParams() decides,
// a blob worker compresses, applies the keep rule and seals (sealBatch), and
// opens and decompresses defensively (openBatch).
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { innerKeyAndNonce, xchachaEncrypt } from '../crypto/aead';
import { blobWorkers } from '../workers/blob-workers';
import { Compression, compressForStorage, compressionParams, decompressStored, DecompressionError, looksIncompressible, MAX_KEPT_RATIO } from './compression';

/** Seeded word salad: text-like statistics (skewed letters, repeated words). */
function text(length: number, seed = 1): Uint8Array {
  const words = ['the', 'lesson', 'module', 'course', 'student', 'of', 'and', 'a', 'quiz', 'chapter', 'score', 'video', 'notes', 'exercise', 'review', 'answer'];
  let x = seed;
  let out = '';
  while (out.length < length) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += words[x % words.length]! + ((x >>> 8) % 11 === 0 ? '.\n' : ' ');
  }
  return new TextEncoder().encode(out.slice(0, length));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const key = new Uint8Array(randomBytes(32));
const ad = new TextEncoder().encode('compression test');

interface Stored {
  algo: number;
  /** Bytes stored for the blob (compressed or raw), before encryption. */
  storedLength: number;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

/** Stores `data` the way BlobStore does. */
async function store(data: Uint8Array): Promise<Stored> {
  const nonce = new Uint8Array(randomBytes(24));
  const { subkey, innerNonce } = innerKeyAndNonce(key, nonce);
  const [result] = await blobWorkers.sealBatch([{ data, params: compressionParams(data), maxKeptRatio: MAX_KEPT_RATIO, nonce, subkey, innerNonce, ad }]);
  if (!result) throw new Error('no result');
  // The worker writes nonce || ciphertext || tag.
  return { algo: result.algo, storedLength: result.bytes.length - 40, nonce, sealed: result.bytes.subarray(24) };
}

/** Seals already-compressed (or deliberately damaged) bytes without compressing them. */
function sealPlain(plain: Uint8Array): Stored {
  const nonce = new Uint8Array(randomBytes(24));
  return { algo: Compression.brotli, storedLength: plain.length, nonce, sealed: xchachaEncrypt(key, nonce, plain, ad) };
}

/** Opens a stored blob the way restore does; rejects with the worker's reason. */
async function open(stored: Stored, rawLength: number, algo = stored.algo): Promise<Uint8Array> {
  const { subkey, innerNonce } = innerKeyAndNonce(key, stored.nonce);
  const region = concat([stored.nonce, stored.sealed]);
  const { opened } = await blobWorkers.openBatch(region, [{ start: 0, length: region.length, subkey, innerNonce, ad, compression: algo, rawLength, keep: true }]);
  const [result] = opened;
  if (result?.error !== undefined) throw new Error(result.error);
  if (!result?.bytes) throw new Error('no data');
  return result.bytes;
}

describe('compression as blobs are stored and opened', () => {
  it('compresses text with brotli, smaller, and round-trips', async () => {
    const data = text(300_000);
    const stored = await store(data);
    expect(stored.algo).toBe(Compression.brotli);
    expect(stored.storedLength).toBeLessThan(data.length * 0.5);
    expect(sameBytes(await open(stored, data.length), data)).toBe(true);
  });

  it('stores random bytes raw, recognised by sampling alone', async () => {
    for (const length of [600, 64 * 1024, 1024 * 1024]) {
      const data = randomBytes(length);
      // The sampler's verdict, which makes the worker skip brotli.
      expect(looksIncompressible(data)).toBe(true);
      expect(compressionParams(data)).toBeNull();
      const stored = await store(data);
      expect(stored.algo).toBe(Compression.none);
      expect(stored.storedLength).toBe(length);
    }
  });

  it('keeps a JPEG-like buffer with a text header raw, and it round-trips', async () => {
    const header = concat([Uint8Array.of(0xff, 0xd8, 0xff, 0xe1), new TextEncoder().encode('<x:xmpmeta xmlns:x="adobe:ns:meta/">'), text(4000)]);
    const data = concat([header, randomBytes(1024 * 1024)]);
    const stored = await store(data);
    expect(stored.algo).toBe(Compression.none);
    expect(sameBytes(await open(stored, data.length), data)).toBe(true);
  });

  it('compresses mixed content (text objects between random streams, as in PDFs)', async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) parts.push(text(12_000, i + 1), randomBytes(40_000));
    const data = concat(parts);
    expect(looksIncompressible(data)).toBe(false);
    const stored = await store(data);
    expect(stored.algo).toBe(Compression.brotli);
    expect(stored.storedLength).toBeLessThan(data.length * 0.9);
    expect(sameBytes(await open(stored, data.length), data)).toBe(true);
  });

  it('uses block splitting on mixed content: a text island in random bytes still pays', async () => {
    // Random letters (~4.7 bits/byte, no repeats) in 18% of the blob: brotli
    // below quality 4 codes the block with one literal table and saves ~1.6%.
    const letters = Uint8Array.from(randomBytes(6000), (b) => 'abcdefghijklmnopqrstuvwxyz      '.charCodeAt(b % 32));
    const data = concat([letters, randomBytes(32 * 1024 - 6000)]);
    const stored = await store(data);
    expect(stored.algo).toBe(Compression.brotli);
    expect(stored.storedLength).toBeLessThan(data.length * 0.95);
    expect(sameBytes(await open(stored, data.length), data)).toBe(true);
  });

  it('stores data raw when brotli would save too little', async () => {
    // Some samples see the hex text, enough to try brotli, but 2 KiB of hex
    // (4 bits/byte) in 32 KiB saves ~3%.
    const data = concat([new TextEncoder().encode(randomBytes(1024).toString('hex')), randomBytes(30 * 1024)]);
    expect(looksIncompressible(data)).toBe(false);
    expect(compressionParams(data)).not.toBeNull();
    expect(zlib.brotliCompressSync(data).length).toBeLessThan(data.length);
    const stored = await store(data);
    expect(stored.algo).toBe(Compression.none);
    expect(stored.storedLength).toBe(data.length);
  });

  it('handles empty input', async () => {
    const empty = new Uint8Array(0);
    expect(compressionParams(empty)).toBeNull();
    const stored = await store(empty);
    expect(stored.algo).toBe(Compression.none);
    expect((await open(stored, 0)).length).toBe(0);
    expect((await open(sealPlain(zlib.brotliCompressSync(empty)), 0)).length).toBe(0);
  });

  it('round-trips small inputs, compressed or not', async () => {
    for (const data of [text(1), text(100), text(511), randomBytes(1), randomBytes(100)]) {
      const stored = await store(data);
      expect(stored.storedLength).toBeLessThanOrEqual(data.length);
      expect(sameBytes(await open(stored, data.length), data)).toBe(true);
    }
  });
});

describe('opening stored blobs with bad compressed data', () => {
  const compressed = (data: Uint8Array): Uint8Array =>
    new Uint8Array(zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }));

  it('rejects corrupted brotli data', async () => {
    const data = text(100_000);
    const packed = compressed(data);
    await expect(open(sealPlain(packed.subarray(0, packed.length >> 1)), data.length)).rejects.toThrow(/does not decompress|expected/);
    let rejected = 0;
    for (const at of [0, 1, 7, packed.length >> 2, packed.length >> 1, packed.length - 1]) {
      const damaged = packed.slice();
      damaged[at] = damaged[at]! ^ 0x5a;
      // A flipped bit may still decode, but never to the original length and bytes unnoticed.
      const outcome = await open(sealPlain(damaged), data.length).then(
        (out) => (sameBytes(out, data) ? 'intact' : 'wrong'),
        () => 'rejected',
      );
      expect(['rejected', 'wrong']).toContain(outcome);
      if (outcome === 'rejected') rejected++;
    }
    expect(rejected).toBeGreaterThan(0);
    await expect(open(sealPlain(new Uint8Array(randomBytes(1000))), data.length)).rejects.toThrow(/does not decompress|expected/);
  });

  it('rejects a wrong rawLength', async () => {
    const data = text(100_000);
    const stored = sealPlain(compressed(data));
    await expect(open(stored, data.length - 1)).rejects.toThrow(/does not decompress|expected/);
    await expect(open(stored, data.length + 1)).rejects.toThrow(/expected/);
    await expect(open(sealPlain(data), data.length + 1, Compression.none)).rejects.toThrow(/expected/);
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER]) {
      await expect(open(stored, bad)).rejects.toThrow();
    }
  });

  it('stops a decompression bomb at rawLength instead of inflating it', async () => {
    const bomb = compressed(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024); // inflates 1000-fold and more
    await expect(open(sealPlain(bomb), 4096)).rejects.toThrow(/does not decompress/);
  });

  it('rejects unknown algorithm codes', async () => {
    const stored = sealPlain(new Uint8Array(4));
    await expect(open(stored, 4, 7)).rejects.toThrow(/unknown compression 7/);
    await expect(open(stored, 4, -1)).rejects.toThrow(/unknown compression/);
  });
});

describe('looksIncompressible', () => {
  it('tells random data from text, zeros and base64', () => {
    expect(looksIncompressible(randomBytes(4096))).toBe(true);
    expect(looksIncompressible(text(4096))).toBe(false);
    expect(looksIncompressible(new Uint8Array(4096))).toBe(false);
    expect(looksIncompressible(new TextEncoder().encode(randomBytes(3072).toString('base64')))).toBe(false);
  });

  it('never judges inputs under 512 bytes incompressible', () => {
    expect(looksIncompressible(randomBytes(511))).toBe(false);
    expect(looksIncompressible(new Uint8Array(0))).toBe(false);
  });
});

describe('compressForStorage / decompressStored (the functions the blob workers run)', () => {
  it('keeps brotli output only when it is at most maxKeptRatio of the input', () => {
    const data = text(50_000);
    const params = compressionParams(data);
    const kept = compressForStorage(data, params);
    expect(kept.compression).toBe(Compression.brotli);
    expect(kept.stored.length).toBeLessThanOrEqual(data.length * MAX_KEPT_RATIO);
    expect(sameBytes(decompressStored(kept.stored, kept.compression, data.length), data)).toBe(true);
    // The same output, refused under a ratio it does not meet: stored raw.
    const refused = compressForStorage(data, params, (kept.stored.length - 1) / data.length);
    expect(refused.compression).toBe(Compression.none);
    expect(refused.stored).toBe(data);
    expect(compressForStorage(data, null)).toEqual({ stored: data, compression: Compression.none });
  });

  it('checks the length the index gives, for raw and compressed blobs', () => {
    const data = text(10_000);
    const { stored } = compressForStorage(data, compressionParams(data));
    expect(() => decompressStored(stored, Compression.brotli, data.length + 1)).toThrow(/has 10000 bytes, expected 10001/);
    expect(() => decompressStored(data, Compression.none, data.length - 1)).toThrow(/has 10000 bytes, expected 9999/);
    expect(() => decompressStored(data, 2, data.length)).toThrow(DecompressionError);
  });
});
