// Passphrase -> key derivation (scrypt, RFC 7914, native via node:crypto) and
// the validation of stored KDF parameters. Parameters are read from key files
// on disk, which an attacker may have written: everything here bounds the
// memory and time a parameter set can make us spend before we spend it.

import { randomBytes, scrypt } from 'node:crypto';
import { decodeBase64Strict } from './base64';

export interface KdfParams {
  algorithm: 'scrypt';
  /** CPU/memory cost: a power of two. Memory used is about 128 * N * r bytes. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation (run sequentially by Node: multiplies time, not memory). */
  p: number;
  /** Base64 (standard alphabet, padded) salt. */
  salt: string;
}

/** Stored KDF parameters are malformed or outside the bounds we accept. */
export class InvalidKdfParamsError extends Error {
  readonly code = 'INVALID_KDF_PARAMS' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKdfParamsError';
  }
}

// 64 MiB of memory (as restic's calibration chooses) run twice (p = 2): the
// same work per guess as N = 2^17, p = 1, at half the peak memory, which every
// command pays when it opens the repository.
const DEFAULT_LOG2_N = 16;
const DEFAULT_R = 8;
const DEFAULT_P = 2;

export const MAX_LOG2_N = 22;
export const MAX_R = 32;
export const MAX_P = 16;
// Parameters come from unauthenticated key slots, so the bounds are what a
// planted slot may cost per open: a few times a default slot, never a GiB or
// seconds. Writers share them (a slot we could not read back is never made).
/** Cap on scrypt's large table (128 * N * r bytes): 4 times the default's 64 MiB. */
export const MAX_KDF_MEMORY_BYTES = 256 * 1024 * 1024;
/** Cap on scrypt's work, N * r * p (its time is proportional): 4 times the default's. */
export const MAX_KDF_WORK = 4 * 2 ** DEFAULT_LOG2_N * DEFAULT_R * DEFAULT_P;
export const MIN_SALT_BYTES = 16;
export const MAX_SALT_BYTES = 64;
const MAX_DERIVED_KEY_BYTES = 1024;
const DEFAULT_WORK = 2 ** DEFAULT_LOG2_N * DEFAULT_R * DEFAULT_P;

/**
 * Which bounds apply. `standard` everywhere, except `legacy` for version-1
 * key slots written before the bounds were lowered (`--kdf-n` up to 2^20 was
 * allowed then): at most one such slot is tried per open, and only after
 * every slot within the standard bounds (repo/repository.ts), so their owners
 * are not locked out and a planted one costs one derivation at most.
 */
export type KdfBounds = 'standard' | 'legacy';
/** The bounds version-1 slots were written under: 1 GiB of memory, 16 times the default work. */
export const LEGACY_KDF_MEMORY_BYTES = 1024 * 1024 * 1024;
export const LEGACY_KDF_WORK = 16 * DEFAULT_WORK;

/** Fresh parameters for a new key slot: N=2^16, r=8, p=2 (64 MiB, run twice), 16-byte random salt. */
export function defaultKdfParams(): KdfParams {
  return {
    algorithm: 'scrypt',
    N: 2 ** DEFAULT_LOG2_N,
    r: DEFAULT_R,
    p: DEFAULT_P,
    salt: randomBytes(MIN_SALT_BYTES).toString('base64'),
  };
}

function isPositiveSafeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

// Resource bounds, shared by validateKdfParams and deriveKey so no path skips them.
function assertCostBounds(N: unknown, r: unknown, p: unknown, bounds: KdfBounds): void {
  const memoryCap = bounds === 'legacy' ? LEGACY_KDF_MEMORY_BYTES : MAX_KDF_MEMORY_BYTES;
  const workCap = bounds === 'legacy' ? LEGACY_KDF_WORK : MAX_KDF_WORK;
  if (!isPositiveSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0) {
    throw new InvalidKdfParamsError(`scrypt N must be a power of two >= 2, got ${String(N)}`);
  }
  if (N > 2 ** MAX_LOG2_N) throw new InvalidKdfParamsError(`scrypt N must be at most 2^${MAX_LOG2_N}, got ${N}`);
  if (!isPositiveSafeInteger(r) || r > MAX_R) {
    throw new InvalidKdfParamsError(`scrypt r must be an integer in 1..${MAX_R}, got ${String(r)}`);
  }
  if (!isPositiveSafeInteger(p) || p > MAX_P) {
    throw new InvalidKdfParamsError(`scrypt p must be an integer in 1..${MAX_P}, got ${String(p)}`);
  }
  if (128 * N * r > memoryCap) {
    throw new InvalidKdfParamsError(
      `scrypt N=${N}, r=${r} would need ${(128 * N * r) / 2 ** 20} MiB; the limit is ${memoryCap / 2 ** 20} MiB`,
    );
  }
  if (N * r * p > workCap) {
    throw new InvalidKdfParamsError(
      `scrypt N=${N}, r=${r}, p=${p} would take ${(N * r * p) / DEFAULT_WORK} times the default work; the limit is ${workCap / DEFAULT_WORK} times`,
    );
  }
}

function decodeSalt(salt: string): Uint8Array {
  const bytes = typeof salt === 'string' ? decodeBase64Strict(salt) : undefined;
  if (bytes === undefined) throw new InvalidKdfParamsError('scrypt salt must be standard padded base64');
  return bytes;
}

/**
 * Checks untrusted KDF parameters (e.g. from a key file) and returns a clean
 * copy. Throws InvalidKdfParamsError on anything malformed or too costly.
 */
export function validateKdfParams(x: unknown, bounds: KdfBounds = 'standard'): KdfParams {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new InvalidKdfParamsError('KDF parameters must be an object');
  }
  const { algorithm, N, r, p, salt } = x as Record<string, unknown>;
  if (algorithm !== 'scrypt') {
    throw new InvalidKdfParamsError(`unsupported KDF algorithm ${JSON.stringify(algorithm) ?? 'undefined'} (expected "scrypt")`);
  }
  assertCostBounds(N, r, p, bounds);
  if (typeof salt !== 'string' || salt.length === 0) throw new InvalidKdfParamsError('scrypt salt is missing');
  const saltBytes = decodeSalt(salt);
  if (saltBytes.length < MIN_SALT_BYTES || saltBytes.length > MAX_SALT_BYTES) {
    throw new InvalidKdfParamsError(
      `scrypt salt must be ${MIN_SALT_BYTES}..${MAX_SALT_BYTES} bytes, got ${saltBytes.length}`,
    );
  }
  return { algorithm, N: N as number, r: r as number, p: p as number, salt };
}

/**
 * Derives `length` bytes from a passphrase (NFC-normalised, then UTF-8) with
 * scrypt on Node's thread pool. Enforces the same cost bounds as
 * validateKdfParams, but accepts any salt (short salts appear in RFC vectors).
 */
export async function deriveKey(passphrase: string, params: KdfParams, length = 32, bounds: KdfBounds = 'standard'): Promise<Uint8Array> {
  if (typeof passphrase !== 'string') throw new TypeError('passphrase must be a string');
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_DERIVED_KEY_BYTES) {
    throw new RangeError(`derived key length must be 1..${MAX_DERIVED_KEY_BYTES}, got ${length}`);
  }
  if (params.algorithm !== 'scrypt') {
    throw new InvalidKdfParamsError(`unsupported KDF algorithm ${JSON.stringify(params.algorithm)}`);
  }
  assertCostBounds(params.N, params.r, params.p, bounds);
  const { N, r, p } = params;
  const salt = decodeSalt(params.salt);
  const password = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  // OpenSSL refuses unless maxmem covers its V table (128*r*(N+2)) plus B (128*r*p).
  const maxmem = 128 * r * (N + 2) + 128 * r * p + 1024 * 1024;
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem }, (error, key) => {
      password.fill(0);
      if (error) reject(error);
      else resolve(key);
    });
  });
  const key = new Uint8Array(derived); // own memory, not a view into Node's pool
  derived.fill(0);
  return key;
}
