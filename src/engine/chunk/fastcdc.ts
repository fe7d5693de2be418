// Content-defined chunking: FastCDC as in Xia et al., "The Design of Fast
// Content-Defined Chunking for Data Deduplication Based Storage Systems"
// (IEEE TPDS 2020), with a keyed gear table (./gear). Owns the chunker
// parameters, their validation, the cut-point search, and the buffer, stream
// and file front ends.
//
// The boundaries are part of the repository format in effect: a change to any
// rule below moves boundaries and defeats deduplication against existing data.
// For a chunk whose first byte is at offset s:
// - Gear hash, 32-bit: fp = (fp << 1) + gear[byte] (mod 2^32). fp at offset i
//   therefore depends only on bytes i-31..i (older terms are shifted out).
// - Hashing starts at s + minSize - 32 (or s if minSize < 32) with fp = 0, and
//   cut points are tested from s + minSize on, so every test sees a full
//   32-byte window and boundaries depend on content alone (cut-point skipping).
// - A chunk ends after byte i (exclusive end i + 1) at the first i with
//   fp & mask == 0, where mask = MaskS for i < s + avgSize and MaskL after
//   (normalized chunking); it ends at s + maxSize if no such i exists, and at
//   end of input.
// - MaskS has log2(avgSize) + normalization one-bits, MaskL log2(avgSize) -
//   normalization, placed by spreadMask(): bits of a gear hash at higher
//   positions depend on more bytes, so spreading the mask over positions
//   1..30 uses a wide window instead of only the last ~20 bytes. Bit 31 is
//   never used, which keeps the two-bytes-per-step loop exact (see scan()).

export interface ChunkerParams {
  algorithm: 'fastcdc-2020';
  minSize: number;
  avgSize: number;
  maxSize: number;
  normalization: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Defaults, chosen by measurement (bench/chunk-micro.ts, and whole-corpus
 * dedup on make-corpus 64M seed 1 plus one --mutate round): an edit costs
 * about one average chunk of new data, so the average sets how much a small
 * insert into a large file costs (~160 KiB at 128 KiB vs ~620 KiB at 512 KiB
 * and ~1.2 MiB at restic's 1 MiB). Unique bytes over the two corpus states:
 * 53.9 MiB at avg 128 KiB, 55.5 at 256, 57.2 at 512, 60.1 at 1024. Smaller
 * still (64 KiB: 53.2) gains little for twice the chunks (index entries,
 * per-chunk calls). min = avg/4 and max = 8 * avg keep the paper's shape.
 */
export const DEFAULT_CHUNKER_PARAMS: ChunkerParams = Object.freeze({
  algorithm: 'fastcdc-2020',
  minSize: 32 * KiB,
  avgSize: 128 * KiB,
  maxSize: 1 * MiB,
  normalization: 2,
});

const MAX_CHUNK_LIMIT = 64 * MiB;
const MIN_CHUNK_LIMIT = 64;
const MIN_AVG_LIMIT = 256;
const MAX_NORMALIZATION = 3;
/** Bytes hashed before the first tested position: the width of the gear hash. */
const WARMUP = 32;
/** Highest mask bit position; bit 31 stays clear (see scan()). */
const TOP_MASK_BIT = 30;

export class InvalidChunkerParamsError extends Error {
  override name = 'InvalidChunkerParamsError';
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Checks parameters read from a repository config or given by a caller. */
export function validateChunkerParams(x: unknown): ChunkerParams {
  const fail = (why: string): never => {
    throw new InvalidChunkerParamsError(`invalid chunker parameters: ${why}`);
  };
  if (typeof x !== 'object' || x === null) return fail('expected an object');
  const p = x as Record<string, unknown>;
  if (p.algorithm !== 'fastcdc-2020') return fail(`unknown algorithm ${JSON.stringify(p.algorithm)} (expected "fastcdc-2020")`);
  const int = (key: string): number => {
    const v = p[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(`${key} must be an integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const minSize = int('minSize');
  const avgSize = int('avgSize');
  const maxSize = int('maxSize');
  const normalization = int('normalization');
  if (!isPowerOfTwo(avgSize)) fail(`avgSize must be a power of two, got ${avgSize}`);
  if (minSize < MIN_CHUNK_LIMIT) fail(`minSize must be at least ${MIN_CHUNK_LIMIT}, got ${minSize}`);
  if (avgSize < MIN_AVG_LIMIT) fail(`avgSize must be at least ${MIN_AVG_LIMIT}, got ${avgSize}`);
  if (!(minSize < avgSize && avgSize < maxSize)) fail(`need minSize < avgSize < maxSize, got ${minSize}, ${avgSize}, ${maxSize}`);
  if (maxSize > MAX_CHUNK_LIMIT) fail(`maxSize must be at most ${MAX_CHUNK_LIMIT}, got ${maxSize}`);
  if (normalization < 0 || normalization > MAX_NORMALIZATION) fail(`normalization must be 0..${MAX_NORMALIZATION}, got ${normalization}`);
  return { algorithm: 'fastcdc-2020', minSize, avgSize, maxSize, normalization };
}

/**
 * A 31-bit mask with `bits` one-bits at positions 30 - floor(j * 30 / bits),
 * j = 0..bits-1: evenly spread, distinct (the step is >= 1 for bits <= 30),
 * never bit 0 or bit 31.
 */
export function spreadMask(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > TOP_MASK_BIT) throw new RangeError(`mask bits must be 1..${TOP_MASK_BIT}`);
  let mask = 0;
  for (let j = 0; j < bits; j++) mask |= 1 << (TOP_MASK_BIT - Math.floor((j * TOP_MASK_BIT) / bits));
  return mask;
}

/** Out-parameter of scanRegion: the rolling hash where it stopped without a cut. */
let regionFp = 0;

/**
 * Rolls data[i, stop) into fp and tests every position against `mask`.
 * Returns the end of the first cut, or -1 with the hash left in regionFp.
 *
 * Two bytes per step (TPDS 2020, Algorithm 2): for bytes a then b,
 *   fp1 = (fp << 1) + g[a],  fp2 = (fp1 << 1) + g[b] = (fp << 2) + (g[a] << 1) + g[b].
 * x = (fp << 2) + gearShifted[a] is fp1 << 1, and x & (mask << 1) is zero
 * exactly when fp1 & mask is, because mask has no bit 31; then fp2 = x + g[b].
 * Same cut points as one byte per step with one shift fewer per two bytes;
 * unrolled to 8 bytes per iteration, which measured faster than 2 or 4 here
 * (bench/chunk-micro.ts).
 */
function scanRegion(data: Uint8Array, gear: Int32Array, gearShifted: Int32Array, i: number, stop: number, fp: number, mask: number): number {
  const maskShifted = mask << 1;
  for (const stop8 = stop - 7; i < stop8; i += 8) {
    let x = ((fp << 2) + gearShifted[data[i]!]!) | 0;
    if ((x & maskShifted) === 0) return i + 1;
    x = (x + gear[data[i + 1]!]!) | 0;
    if ((x & mask) === 0) return i + 2;
    x = ((x << 2) + gearShifted[data[i + 2]!]!) | 0;
    if ((x & maskShifted) === 0) return i + 3;
    x = (x + gear[data[i + 3]!]!) | 0;
    if ((x & mask) === 0) return i + 4;
    x = ((x << 2) + gearShifted[data[i + 4]!]!) | 0;
    if ((x & maskShifted) === 0) return i + 5;
    x = (x + gear[data[i + 5]!]!) | 0;
    if ((x & mask) === 0) return i + 6;
    x = ((x << 2) + gearShifted[data[i + 6]!]!) | 0;
    if ((x & maskShifted) === 0) return i + 7;
    fp = (x + gear[data[i + 7]!]!) | 0;
    if ((fp & mask) === 0) return i + 8;
  }
  for (; i < stop; i++) {
    fp = ((fp << 1) + gear[data[i]!]!) | 0;
    if ((fp & mask) === 0) return i + 1;
  }
  regionFp = fp;
  return -1;
}

/** A plain Uint8Array view of bytes, so the hot loop sees one array class (not also Buffer). */
function plainBytes(data: Uint8Array): Uint8Array {
  return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Finds chunk boundaries. One instance can serve any number of files and
 * streams at once: the only state, fpAfterScan, is read synchronously right
 * after the scan() that set it.
 */
export class FastCdc {
  readonly params: ChunkerParams;
  readonly maskS: number;
  readonly maskL: number;
  /** gear as int32 so the hot loop stays in small-integer arithmetic. */
  private readonly gear: Int32Array;
  /** gear << 1, for the first byte of each two-byte step. */
  private readonly gearShifted: Int32Array;
  private pendingFp = 0;

  constructor(params: ChunkerParams, gear: Uint32Array) {
    this.params = validateChunkerParams(params);
    if (!(gear instanceof Uint32Array) || gear.length !== 256) throw new TypeError('gear table must be a Uint32Array of 256 entries');
    const avgBits = Math.log2(this.params.avgSize);
    this.maskS = spreadMask(avgBits + this.params.normalization);
    this.maskL = spreadMask(avgBits - this.params.normalization);
    this.gear = new Int32Array(256);
    this.gearShifted = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      this.gear[b] = gear[b]! | 0;
      this.gearShifted[b] = (gear[b]! << 1) | 0;
    }
  }

  /**
   * End offset (exclusive, absolute) of the chunk that starts at `start`
   * within data[start, end), or -1 if more data is needed: not `eof`, fewer
   * than maxSize bytes available and no cut point among them. At eof the
   * remainder is a chunk whatever its size (start === end gives end).
   */
  cut(data: Uint8Array, start: number, end: number, eof: boolean): number {
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end && end <= data.length)) {
      throw new RangeError(`bad range [${start}, ${end}) of ${data.length} bytes`);
    }
    const cutAt = this.scan(plainBytes(data), start, start, end, 0);
    if (cutAt >= 0) return cutAt;
    return eof ? end : -1;
  }

  /**
   * The search, resumable across pieces of one chunk: the chunk starts at
   * index `chunkStart` in data's coordinates (negative when its first bytes
   * were in earlier pieces), data[from, end) is new, and `fp` is the rolling
   * hash after the chunk's bytes before `from` (ignored before the warm-up
   * point). Returns the cut's end index, or -1 leaving the hash in
   * fpAfterScan. For chunkStream; callers normally use cut().
   */
  scan(data: Uint8Array, chunkStart: number, from: number, end: number, fp: number): number {
    const { minSize, avgSize, maxSize } = this.params;
    const gear = this.gear;
    const minPos = chunkStart + minSize;
    const maxPos = chunkStart + maxSize;
    const warmStart = Math.max(chunkStart, minPos - WARMUP);
    let i = from;
    if (i < warmStart) {
      i = warmStart;
      fp = 0;
    }
    // Warm-up: fill the 32-byte window without testing.
    for (const warmEnd = Math.min(minPos, end); i < warmEnd; i++) fp = ((fp << 1) + gear[data[i]!]!) | 0;

    const stopS = Math.min(chunkStart + avgSize, end);
    if (i < stopS) {
      const cutAt = scanRegion(data, gear, this.gearShifted, i, stopS, fp, this.maskS);
      if (cutAt >= 0) return cutAt;
      fp = regionFp;
      i = stopS;
    }
    const stopL = Math.min(maxPos, end);
    if (i < stopL) {
      const cutAt = scanRegion(data, gear, this.gearShifted, i, stopL, fp, this.maskL);
      if (cutAt >= 0) return cutAt;
      fp = regionFp;
    }
    if (maxPos <= end) return maxPos;
    this.pendingFp = fp;
    return -1;
  }

  /** The rolling hash left by the last scan() that returned -1. */
  get fpAfterScan(): number {
    return this.pendingFp;
  }
}

/** Chunks of an in-memory buffer, as subarrays of it. */
export function* chunkBuffer(input: Uint8Array, cdc: FastCdc): Generator<Uint8Array> {
  const data = plainBytes(input);
  let start = 0;
  while (start < data.length) {
    const end = cdc.cut(data, start, data.length, true);
    yield data.subarray(start, end);
    start = end;
  }
}

function concatPieces(pieces: readonly Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  // allocUnsafeSlow: every byte is overwritten below; no pool, no zero fill.
  const out = plainBytes(Buffer.allocUnsafeSlow(total));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/**
 * Chunks of a stream, identical to chunkBuffer over the concatenation of the
 * source's blocks whatever their sizes.
 *
 * Zero copy where possible: a chunk that lies within one source block is
 * yielded as a subarray of that block; a chunk spanning blocks is copied once
 * into a fresh buffer. So the source must yield buffers it never writes to
 * again (the archiver's file reader and Node streams do), and a kept chunk keeps its
 * source block alive. The scan resumes across blocks (no re-scanning).
 */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, cdc: FastCdc): AsyncGenerator<Uint8Array> {
  // The incomplete chunk: pieces of earlier blocks, always < maxSize bytes.
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let pendingFp = 0;
  for await (const sourceBlock of source) {
    if (sourceBlock.length === 0) continue;
    const block = plainBytes(sourceBlock);
    let pos = 0;
    if (pendingLength > 0) {
      const cutAt = cdc.scan(block, -pendingLength, 0, block.length, pendingFp);
      if (cutAt < 0) {
        pending.push(block);
        pendingLength += block.length;
        pendingFp = cdc.fpAfterScan;
        continue;
      }
      pending.push(block.subarray(0, cutAt));
      yield concatPieces(pending, pendingLength + cutAt);
      pending = [];
      pendingLength = 0;
      pos = cutAt;
    }
    while (pos < block.length) {
      const cutAt = cdc.scan(block, pos, pos, block.length, 0);
      if (cutAt < 0) {
        pending = [block.subarray(pos)];
        pendingLength = block.length - pos;
        pendingFp = cdc.fpAfterScan;
        break;
      }
      yield block.subarray(pos, cutAt);
      pos = cutAt;
    }
  }
  if (pendingLength > 0) yield concatPieces(pending, pendingLength);
}
