// Per-blob compression: decides cheaply whether a blob is worth compressing
// and with which brotli parameters (compressionParams, on the main thread),
// compresses and applies the keep rule (compressForStorage) and decompresses
// defensively (decompressStored). The blob workers (workers/blob-worker.ts)
// run the last two off the main thread. The algorithm codes are stored in the
// index, so they never change meaning.
//
// Choices, measured by bench/compress-micro.ts on make-corpus files (see there):
// - Detection: order-0 entropy of up to 16 spread samples of 512 bytes. Media
//   and already-compressed data measure ~7.6 bits/byte per sample, text and
//   JSON/CSV ~4-5.5, base64 ~6. Sampling across the whole chunk matters for
//   mixed files (PDF: text objects between image streams).
// - Uniform content (nearly every sample compressible: text, JSON, CSV) gets
//   brotli quality 1: ~150 MB/s on one core here, ~6% more bytes than q2.
//   Mixed content gets quality 4, the lowest that splits blocks: below it a
//   whole block shares one literal table, so islands without repeats save
//   little (4 KiB of random letters in 32 KiB: 0.5% at q2, 5.2% at q4); with
//   islands of corpus text q4 saves ~1 point more than q2 for ~20% more time.
// - SIZE_HINT is the blob's length; mode TEXT when the samples are nearly all
//   printable ASCII/UTF-8 (a hint: no ratio change measured at these levels).
//   The default 4 MiB window covers any chunk (fitting it: no change measured).
// - A result is kept only if it is at most MAX_KEPT_RATIO of the input.
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants, type BrotliOptions } from 'node:zlib';

/** Compression codes as stored in the repository index. Never renumber. */
export const Compression = { none: 0, brotli: 1 } as const;
export type CompressionCode = (typeof Compression)[keyof typeof Compression];

/** Brotli quality for uniformly compressible blobs: q1 measured 1.5x faster than q2 for ~6% more bytes on text (0.2% of a corpus repository). */
export const BROTLI_QUALITY_UNIFORM = 1;
/** Brotli quality for blobs with compressible islands: the lowest that splits blocks. */
export const BROTLI_QUALITY_MIXED = 4;
/** Share of compressible samples from which a blob counts as uniform. */
const UNIFORM_SAMPLE_SHARE = 0.9;
/** Keep compressed output only if it is at most this fraction of the input. */
export const MAX_KEPT_RATIO = 0.95;

const SAMPLE_SIZE = 512;
// 16 samples (8 KiB) judge a chunk as well as 64 did on the corpus, at a quarter of the cost.
const MAX_SAMPLES = 16;
/** Below this many bits/byte a 512-byte sample is compressible (uniform random: ~7.6). */
const COMPRESSIBLE_SAMPLE_BITS = 7.0;
/** A chunk is worth trying if at least this share of its samples is compressible. */
const MIN_COMPRESSIBLE_SAMPLE_SHARE = 1 / 16;
/** Share of printable ASCII / UTF-8 bytes above which brotli is told it is text. */
const TEXT_BYTE_SHARE = 0.95;

/** c * log2(c) for c = 0..SAMPLE_SIZE, so a sample's entropy is 256 lookups. */
const C_LOG2_C = Float64Array.from({ length: SAMPLE_SIZE + 1 }, (_, c) => (c === 0 ? 0 : c * Math.log2(c)));
/** 1 for bytes that occur in text: printable ASCII, \t \n \r, and all bytes >= 0x80 (UTF-8). */
const TEXT_BYTE = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13 || b >= 0x80 ? 1 : 0);

interface SampleVerdict {
  incompressible: boolean;
  /** Nearly every sample is compressible. */
  uniform: boolean;
  text: boolean;
}

// One histogram reused by every call: analysis is synchronous.
const histogram = new Uint32Array(256);

function analyse(data: Uint8Array): SampleVerdict {
  const n = data.length;
  // Too small to judge; compressing it costs next to nothing.
  if (n < SAMPLE_SIZE) return { incompressible: false, uniform: true, text: false };
  const samples = Math.min(MAX_SAMPLES, Math.floor(n / SAMPLE_SIZE));
  const stride = (n - SAMPLE_SIZE) / Math.max(1, samples - 1);
  let compressible = 0;
  let textBytes = 0;
  for (let s = 0; s < samples; s++) {
    const from = Math.floor(s * stride);
    histogram.fill(0);
    for (let i = from, end = from + SAMPLE_SIZE; i < end; i++) histogram[data[i]!]!++;
    let sumCLogC = 0;
    for (let b = 0; b < 256; b++) {
      const c = histogram[b]!;
      sumCLogC += C_LOG2_C[c]!;
      textBytes += TEXT_BYTE[b]! * c;
    }
    // Shannon entropy of the sample in bits per byte: log2(N) - sum(c log2 c) / N.
    const bits = Math.log2(SAMPLE_SIZE) - sumCLogC / SAMPLE_SIZE;
    if (bits < COMPRESSIBLE_SAMPLE_BITS) compressible++;
  }
  return {
    incompressible: compressible < MIN_COMPRESSIBLE_SAMPLE_SHARE * samples,
    uniform: compressible >= UNIFORM_SAMPLE_SHARE * samples,
    text: textBytes >= TEXT_BYTE_SHARE * samples * SAMPLE_SIZE,
  };
}

/**
 * True when sampling says compression would not pay (media, archives,
 * encrypted or already-compressed data). Reads at most 8 KiB of the input.
 * Inputs under 512 bytes are never judged incompressible.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  return analyse(data).incompressible;
}

function brotliOptions(length: number, verdict: SampleVerdict): BrotliOptions {
  return {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: verdict.uniform ? BROTLI_QUALITY_UNIFORM : BROTLI_QUALITY_MIXED,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: length,
      [zlibConstants.BROTLI_PARAM_MODE]: verdict.text ? zlibConstants.BROTLI_MODE_TEXT : zlibConstants.BROTLI_MODE_GENERIC,
    },
  };
}

/** Brotli parameters for `data`, or null when it should be stored raw (for the blob workers). */
export function compressionParams(data: Uint8Array): Record<number, number> | null {
  const verdict = analyse(data);
  if (data.length === 0 || verdict.incompressible) return null;
  return brotliOptions(data.length, verdict).params as Record<number, number>;
}

/**
 * What a blob is stored as: brotli under `params` (from compressionParams())
 * if the result is at most `maxKeptRatio` of the input, else the data itself.
 * `params` null: raw, without trying.
 */
export function compressForStorage(
  data: Uint8Array,
  params: Record<number, number> | null,
  maxKeptRatio = MAX_KEPT_RATIO,
): { stored: Uint8Array; compression: CompressionCode } {
  if (params !== null) {
    const packed = brotliCompressSync(data, { params });
    if (packed.length <= data.length * maxKeptRatio) return { stored: packed, compression: Compression.brotli };
  }
  return { stored: data, compression: Compression.none };
}

/** A stored blob that does not decompress to what the index says (a short reason in the message). */
export class DecompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecompressionError';
  }
}

/**
 * The plaintext of a blob stored as `stored` under code `compression`, which
 * the index says is `rawLength` bytes: decompressed with output bounded by
 * rawLength (a decompression bomb stops there), and checked to be exactly
 * rawLength bytes. Raw blobs are returned as they are. Throws
 * DecompressionError ("does not decompress", "unknown compression N", "has
 * N bytes, expected M").
 */
export function decompressStored(stored: Uint8Array, compression: number, rawLength: number): Uint8Array {
  let out: Uint8Array;
  if (compression === Compression.brotli) {
    try {
      out = brotliDecompressSync(stored, { maxOutputLength: Math.max(1, rawLength) });
    } catch {
      throw new DecompressionError('does not decompress');
    }
  } else if (compression === Compression.none) {
    out = stored;
  } else {
    throw new DecompressionError(`unknown compression ${compression}`);
  }
  if (out.length !== rawLength) throw new DecompressionError(`has ${out.length} bytes, expected ${rawLength}`);
  return out;
}
