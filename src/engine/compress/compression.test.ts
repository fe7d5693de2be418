import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Compression, compressChunk, CorruptDataError, decompressChunk, looksIncompressible } from './compression';

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

describe('compressChunk / decompressChunk', () => {
  it('compresses text with brotli, smaller, and round-trips', async () => {
    const data = text(300_000);
    const result = await compressChunk(data);
    expect(result.algo).toBe(Compression.brotli);
    expect(result.data.length).toBeLessThan(data.length * 0.5);
    expect(sameBytes(await decompressChunk(result.algo, result.data, data.length), data)).toBe(true);
  });

  it('returns random bytes raw, recognised by sampling alone', async () => {
    for (const length of [600, 64 * 1024, 1024 * 1024]) {
      const data = randomBytes(length);
      // The sampler's verdict, which makes compressChunk skip brotli.
      expect(looksIncompressible(data)).toBe(true);
      const result = await compressChunk(data);
      expect(result.algo).toBe(Compression.none);
      expect(result.data).toBe(data);
    }
  });

  it('keeps a JPEG-like buffer with a text header raw, and it round-trips', async () => {
    const header = concat([Uint8Array.of(0xff, 0xd8, 0xff, 0xe1), new TextEncoder().encode('<x:xmpmeta xmlns:x="adobe:ns:meta/">'), text(4000)]);
    const data = concat([header, randomBytes(1024 * 1024)]);
    const result = await compressChunk(data);
    expect(result.algo).toBe(Compression.none);
    expect(sameBytes(await decompressChunk(result.algo, result.data, data.length), data)).toBe(true);
  });

  it('compresses mixed content (text objects between random streams, as in PDFs)', async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) parts.push(text(12_000, i + 1), randomBytes(40_000));
    const data = concat(parts);
    expect(looksIncompressible(data)).toBe(false);
    const result = await compressChunk(data);
    expect(result.algo).toBe(Compression.brotli);
    expect(result.data.length).toBeLessThan(data.length * 0.9);
    expect(sameBytes(await decompressChunk(result.algo, result.data, data.length), data)).toBe(true);
  });

  it('uses block splitting on mixed content: a text island in random bytes still pays', async () => {
    // Random letters (~4.7 bits/byte, no repeats) in 18% of the blob: brotli
    // below quality 4 codes the block with one literal table and saves ~1.6%.
    const letters = Uint8Array.from(randomBytes(6000), (b) => 'abcdefghijklmnopqrstuvwxyz      '.charCodeAt(b % 32));
    const data = concat([letters, randomBytes(32 * 1024 - 6000)]);
    const result = await compressChunk(data);
    expect(result.algo).toBe(Compression.brotli);
    expect(result.data.length).toBeLessThan(data.length * 0.95);
    expect(sameBytes(await decompressChunk(result.algo, result.data, data.length), data)).toBe(true);
  });

  it('stores data raw when brotli would save too little', async () => {
    // 64 samples tile 32 KiB exactly: 4 of them see the hex text, enough to
    // try brotli, but 2 KiB of hex (4 bits/byte) in 32 KiB saves ~3%.
    const data = concat([new TextEncoder().encode(randomBytes(1024).toString('hex')), randomBytes(30 * 1024)]);
    expect(looksIncompressible(data)).toBe(false);
    expect(zlib.brotliCompressSync(data).length).toBeLessThan(data.length);
    const result = await compressChunk(data);
    expect(result.algo).toBe(Compression.none);
    expect(result.data).toBe(data);
  });

  it('handles empty input', async () => {
    const empty = new Uint8Array(0);
    const result = await compressChunk(empty);
    expect(result).toEqual({ algo: Compression.none, data: empty });
    expect((await decompressChunk(Compression.none, empty, 0)).length).toBe(0);
    const brotliEmpty = zlib.brotliCompressSync(empty);
    expect((await decompressChunk(Compression.brotli, brotliEmpty, 0)).length).toBe(0);
  });


  it('round-trips small inputs, compressed or not', async () => {
    for (const data of [text(1), text(100), text(511), randomBytes(1), randomBytes(100)]) {
      const result = await compressChunk(data);
      expect(result.data.length).toBeLessThanOrEqual(data.length);
      expect(sameBytes(await decompressChunk(result.algo, result.data, data.length), data)).toBe(true);
    }
  });
});

describe('decompressChunk on bad input', () => {
  it('rejects corrupted brotli data with CorruptDataError', async () => {
    const data = text(100_000);
    const { algo, data: compressed } = await compressChunk(data);
    expect(algo).toBe(Compression.brotli);
    const truncated = compressed.subarray(0, compressed.length >> 1);
    await expect(decompressChunk(algo, truncated, data.length)).rejects.toThrow(CorruptDataError);
    let rejected = 0;
    for (const at of [0, 1, 7, compressed.length >> 2, compressed.length >> 1, compressed.length - 1]) {
      const damaged = compressed.slice();
      damaged[at] = damaged[at]! ^ 0x5a;
      // A flipped bit may still decode, but never to the original length and bytes unnoticed.
      const outcome = await decompressChunk(algo, damaged, data.length).then(
        (out) => (sameBytes(out, data) ? 'intact' : 'wrong'),
        (error: unknown) => (error instanceof CorruptDataError ? 'rejected' : 'other error'),
      );
      expect(['rejected', 'wrong']).toContain(outcome);
      if (outcome === 'rejected') rejected++;
    }
    expect(rejected).toBeGreaterThan(0);
    await expect(decompressChunk(algo, randomBytes(1000), data.length)).rejects.toThrow(CorruptDataError);
  });

  it('rejects a wrong rawLength', async () => {
    const data = text(100_000);
    const { algo, data: compressed } = await compressChunk(data);
    await expect(decompressChunk(algo, compressed, data.length - 1)).rejects.toThrow(CorruptDataError);
    await expect(decompressChunk(algo, compressed, data.length + 1)).rejects.toThrow(CorruptDataError);
    await expect(decompressChunk(Compression.none, data, data.length + 1)).rejects.toThrow(CorruptDataError);
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER]) {
      await expect(decompressChunk(algo, compressed, bad)).rejects.toThrow(CorruptDataError);
    }
  });

  it('stops a decompression bomb at rawLength instead of inflating it', async () => {
    const bomb = zlib.brotliCompressSync(new Uint8Array(64 * 1024 * 1024), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } });
    expect(bomb.length).toBeLessThan(64 * 1024); // inflates 1000-fold and more
    await expect(decompressChunk(Compression.brotli, bomb, 4096)).rejects.toThrow(CorruptDataError);
  });

  it('rejects unknown algorithm codes', async () => {
    await expect(decompressChunk(7, new Uint8Array(4), 4)).rejects.toThrow(/unknown compression algorithm 7/);
    await expect(decompressChunk(-1, new Uint8Array(4), 4)).rejects.toThrow(CorruptDataError);
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
