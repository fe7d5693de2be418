import { describe, expect, it } from 'vitest';
import {
  chunkBuffer,
  chunkStream,
  DEFAULT_CHUNKER_PARAMS,
  FastCdc,
  spreadMask,
  validateChunkerParams,
  type ChunkerParams,
} from './fastcdc';
import { referenceCutter } from './fastcdc-reference';
import { gearTable } from './gear';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Deterministic pseudo-random source (xorshift32). */
function prng(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function seededBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = next();
  for (let i = words.length * 4; i < length; i++) out[i] = next() & 0xff;
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte equality via Buffer (vitest's toEqual walks typed arrays element by element: far too slow for MiBs). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function hexes(chunks: Iterable<Uint8Array>): string[] {
  return Array.from(chunks, (c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('hex'));
}

function lengths(chunks: Iterable<Uint8Array>): number[] {
  return Array.from(chunks, (c) => c.length);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of source) out.push(c);
  return out;
}

async function* blocksOf(data: Uint8Array, sizes: () => number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length;) {
    const n = Math.min(sizes(), data.length - at);
    // A fresh copy per block, as the archiver's file reader gives.
    yield data.slice(at, at + n);
    at += n;
  }
}

const secretA = new Uint8Array(32).fill(0xa5);
const secretB = new Uint8Array(32).fill(0x5a);
const gearA = gearTable(secretA);
const gearB = gearTable(secretB);
/** Small parameters: many chunks from little data, so statistics are tight. */
const SMALL: ChunkerParams = { algorithm: 'fastcdc-2020', minSize: 2 * KiB, avgSize: 8 * KiB, maxSize: 64 * KiB, normalization: 2 };

describe('validateChunkerParams', () => {
  it('accepts the defaults and returns a clean copy', () => {
    const extra = { ...DEFAULT_CHUNKER_PARAMS, surplus: 1 };
    expect(validateChunkerParams(extra)).toEqual(DEFAULT_CHUNKER_PARAMS);
  });

  it.each([
    ['not an object', 42, /expected an object/],
    ['null', null, /expected an object/],
    ['unknown algorithm', { ...DEFAULT_CHUNKER_PARAMS, algorithm: 'rabin' }, /unknown algorithm/],
    ['avg not a power of two', { ...DEFAULT_CHUNKER_PARAMS, avgSize: DEFAULT_CHUNKER_PARAMS.avgSize - KiB }, /power of two/],
    ['min >= avg', { ...DEFAULT_CHUNKER_PARAMS, minSize: DEFAULT_CHUNKER_PARAMS.avgSize }, /minSize < avgSize < maxSize/],
    ['avg >= max', { ...DEFAULT_CHUNKER_PARAMS, maxSize: DEFAULT_CHUNKER_PARAMS.avgSize }, /minSize < avgSize < maxSize/],
    ['max > 64 MiB', { ...DEFAULT_CHUNKER_PARAMS, avgSize: 32 * MiB, maxSize: 64 * MiB + 1 }, /at most/],
    ['fractional size', { ...DEFAULT_CHUNKER_PARAMS, minSize: 1000.5 }, /integer/],
    ['string size', { ...DEFAULT_CHUNKER_PARAMS, maxSize: '4M' }, /integer/],
    ['normalization out of range', { ...DEFAULT_CHUNKER_PARAMS, normalization: 4 }, /normalization/],
    ['negative normalization', { ...DEFAULT_CHUNKER_PARAMS, normalization: -1 }, /normalization/],
  ])('rejects %s', (_name, input, message) => {
    expect(() => validateChunkerParams(input)).toThrow(message);
  });
});

describe('spreadMask', () => {
  it('sets exactly the requested number of bits, never bit 0 or bit 31', () => {
    for (let bits = 1; bits <= 30; bits++) {
      const mask = spreadMask(bits);
      let ones = 0;
      for (let b = 0; b < 32; b++) ones += (mask >>> b) & 1;
      expect(ones).toBe(bits);
      expect(mask & 1).toBe(0);
      expect(mask >>> 31).toBe(0);
    }
  });

  it('spreads the bits instead of packing them', () => {
    const mask = spreadMask(17);
    expect(mask).not.toBe(((1 << 17) - 1) << 14);
    expect(mask & 0x0000ffff).not.toBe(0);
    expect(mask & 0x7fff0000).not.toBe(0);
  });
});

describe('FastCdc', () => {
  it('finds the same cut points as the one-byte-per-step reference', () => {
    const inputs: [string, Uint8Array][] = [
      ['random', seededBytes(3 * MiB + 7, 11)],
      ['low entropy', Uint8Array.from({ length: 2 * MiB + 3 }, (_, i) => 'the quick brown fox '.charCodeAt(i % 20) ^ ((i >> 12) & 3))],
      ['zeros', new Uint8Array(MiB + 1)],
    ];
    const paramSets: ChunkerParams[] = [
      SMALL,
      { algorithm: 'fastcdc-2020', minSize: 1001, avgSize: 4 * KiB, maxSize: 10_007, normalization: 1 },
      { algorithm: 'fastcdc-2020', minSize: 64, avgSize: 256, maxSize: 4 * KiB + 3, normalization: 3 },
      { ...SMALL, normalization: 0 },
      DEFAULT_CHUNKER_PARAMS,
    ];
    for (const params of paramSets) {
      const cdc = new FastCdc(params, gearA);
      const reference = referenceCutter(params, gearA);
      for (const [, data] of inputs) {
        const fast = [];
        const slow = [];
        for (let s = 0; s < data.length; s = fast[fast.length - 1]!) fast.push(cdc.cut(data, s, data.length, true));
        for (let s = 0; s < data.length; s = slow[slow.length - 1]!) slow.push(reference(data, s, data.length, true));
        expect(fast).toEqual(slow);
      }
    }
  });

  it('is deterministic', () => {
    const data = seededBytes(4 * MiB, 1);
    const cdc = new FastCdc(SMALL, gearA);
    expect(lengths(chunkBuffer(data, cdc))).toEqual(lengths(chunkBuffer(data.slice(), new FastCdc(SMALL, gearTable(secretA)))));
  });

  it('keeps chunks within [minSize, maxSize] except the last, and covers the input', () => {
    for (const params of [SMALL, DEFAULT_CHUNKER_PARAMS]) {
      const data = seededBytes(params === SMALL ? 2 * MiB + 5 : 24 * MiB + 5, 2);
      const sizes = lengths(chunkBuffer(data, new FastCdc(params, gearA)));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
      for (const size of sizes.slice(0, -1)) {
        expect(size).toBeGreaterThanOrEqual(params.minSize);
        expect(size).toBeLessThanOrEqual(params.maxSize);
      }
      expect(sizes[sizes.length - 1]).toBeLessThanOrEqual(params.maxSize);
    }
  });

  it('cuts low-entropy data at maxSize or earlier, never beyond', () => {
    const sizes = lengths(chunkBuffer(new Uint8Array(MiB), new FastCdc(SMALL, gearA)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(SMALL.maxSize);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(MiB);
  });

  it('has a mean chunk size within 20% of avgSize on random data', () => {
    const data = seededBytes(16 * MiB, 3);
    const count = lengths(chunkBuffer(data, new FastCdc(SMALL, gearA))).length;
    const mean = data.length / count;
    expect(count).toBeGreaterThan(1000);
    expect(mean).toBeGreaterThan(SMALL.avgSize * 0.8);
    expect(mean).toBeLessThan(SMALL.avgSize * 1.2);
  });

  it('puts boundaries elsewhere under a different secret', () => {
    const data = seededBytes(4 * MiB, 4);
    const cutsA = new Set<number>();
    const cutsB = new Set<number>();
    let at = 0;
    for (const c of chunkBuffer(data, new FastCdc(SMALL, gearA))) cutsA.add((at += c.length));
    at = 0;
    for (const c of chunkBuffer(data, new FastCdc(SMALL, gearB))) cutsB.add((at += c.length));
    const shared = [...cutsA].filter((c) => cutsB.has(c) && c !== data.length).length;
    expect(cutsA.size).toBeGreaterThan(100);
    expect(shared / cutsA.size).toBeLessThan(0.1);
  });

  it('needs more data (-1) only when not at eof and no cut or maxSize is reachable', () => {
    const cdc = new FastCdc(SMALL, gearA);
    const data = seededBytes(SMALL.maxSize * 2, 5);
    expect(cdc.cut(data, 0, SMALL.minSize - 1, false)).toBe(-1);
    expect(cdc.cut(data, 0, SMALL.minSize - 1, true)).toBe(SMALL.minSize - 1);
    expect(cdc.cut(data, 10, 10, true)).toBe(10);
    const zeros = new Uint8Array(SMALL.maxSize * 2);
    const forced = cdc.cut(zeros, 5, zeros.length, false);
    expect(forced === 5 + SMALL.maxSize || forced === 5 + SMALL.minSize).toBe(true);
    const full = cdc.cut(data, 0, data.length, true);
    // Offsets are absolute: the same content at another offset gives the same length.
    const shifted = concat([new Uint8Array(100), data]);
    expect(cdc.cut(shifted, 100, shifted.length, false)).toBe(full + 100);
    expect(() => cdc.cut(data, 5, 4, true)).toThrow(RangeError);
    expect(() => cdc.cut(data, 0, data.length + 1, true)).toThrow(RangeError);
  });

  it('returns a single chunk for input smaller than minSize, and none for empty input', async () => {
    const cdc = new FastCdc(DEFAULT_CHUNKER_PARAMS, gearA);
    const small = seededBytes(DEFAULT_CHUNKER_PARAMS.minSize - 1, 6);
    const chunks = [...chunkBuffer(small, cdc)];
    expect(chunks).toHaveLength(1);
    expect(sameBytes(chunks[0]!, small)).toBe(true);
    expect([...chunkBuffer(new Uint8Array(0), cdc)]).toEqual([]);
    const streamed = await collect(chunkStream(blocksOf(small, () => 1000), cdc));
    expect(streamed).toHaveLength(1);
    expect(sameBytes(streamed[0]!, small)).toBe(true);
    expect(await collect(chunkStream(blocksOf(new Uint8Array(0), () => 1), cdc))).toEqual([]);
    async function* emptyBlocks(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(0);
      yield new Uint8Array(0);
    }
    expect(await collect(chunkStream(emptyBlocks(), cdc))).toEqual([]);
  });
});

describe('chunkStream', () => {
  it('equals chunkBuffer for random block sizes from 1 byte to 5 MiB', async () => {
    const cdc = new FastCdc(DEFAULT_CHUNKER_PARAMS, gearA);
    for (const seed of [1, 2, 3]) {
      const data = seededBytes(12 * MiB + seed, seed);
      const next = prng(seed * 7919);
      // Log-uniform sizes: plenty of tiny blocks and some larger than maxSize.
      const sizes = (): number => Math.max(1, Math.floor(Math.exp((next() / 2 ** 32) * Math.log(5 * MiB))));
      const streamed = await collect(chunkStream(blocksOf(data, sizes), cdc));
      const buffered = [...chunkBuffer(data, cdc)];
      expect(lengths(streamed)).toEqual(lengths(buffered));
      expect(sameBytes(concat(streamed), data)).toBe(true);
    }
  });

  it('equals chunkBuffer when blocks are tiny (hash state carried across many pieces)', async () => {
    for (const params of [SMALL, { ...SMALL, minSize: 100, avgSize: 512, maxSize: 3000 }]) {
      const cdc = new FastCdc(params, gearA);
      const data = seededBytes(256 * KiB + 3, 9);
      const next = prng(99);
      const streamed = await collect(chunkStream(blocksOf(data, () => 1 + (next() % 97)), cdc));
      expect(hexes(streamed)).toEqual(hexes(chunkBuffer(data, cdc)));
    }
  });

  it('yields chunks that stay valid after later blocks arrive', async () => {
    const cdc = new FastCdc(SMALL, gearA);
    const data = seededBytes(MiB, 10);
    const expected = hexes(chunkBuffer(data, cdc));
    const kept = await collect(chunkStream(blocksOf(data, () => 10_000), cdc));
    expect(hexes(kept)).toEqual(expected);
  });
});

describe('edit locality (property)', () => {
  it('shares every chunk before an insert and resynchronises right after it', () => {
    const cdc = new FastCdc(DEFAULT_CHUNKER_PARAMS, gearA);
    const original = seededBytes(24 * MiB, 2024);
    const originalChunks = [...chunkBuffer(original, cdc)];
    const key = (c: Uint8Array): string => `${c.length}:${Buffer.from(c.subarray(0, 32)).toString('hex')}:${Buffer.from(c.subarray(-32)).toString('hex')}`;
    const originalKeys = new Set(originalChunks.map(key));
    const next = prng(77);
    for (let trial = 0; trial < 6; trial++) {
      const at = next() % original.length;
      const insertLength = trial % 2 === 0 ? 1 + (next() % 16) : KiB + (next() % (8 * KiB));
      const edited = concat([original.subarray(0, at), seededBytes(insertLength, trial + 500), original.subarray(at)]);
      const editedChunks = [...chunkBuffer(edited, cdc)];

      // Every chunk that ends at or before the insert is unchanged.
      let prefix = 0;
      let end = 0;
      while (end + originalChunks[prefix]!.length <= at) end += originalChunks[prefix++]!.length;
      expect(lengths(editedChunks.slice(0, prefix))).toEqual(lengths(originalChunks.slice(0, prefix)));

      // Few chunks differ, and the sequences end identically.
      const changed = editedChunks.filter((c) => !originalKeys.has(key(c))).length;
      expect(changed).toBeGreaterThanOrEqual(1);
      expect(changed).toBeLessThanOrEqual(3);
      const tail = Math.min(originalChunks.length, editedChunks.length) - prefix - 3;
      if (tail > 0) expect(lengths(editedChunks.slice(-tail))).toEqual(lengths(originalChunks.slice(-tail)));
    }
  });
});
