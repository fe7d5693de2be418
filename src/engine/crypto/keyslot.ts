// Repository master keys and passphrase key slots. A slot wraps the three
// master keys under a key-encryption key derived from a passphrase, so
// passphrases can be added, changed or removed without re-encrypting data.
// Owns the slot's JSON shape, its validation (slots are read from disk, and
// may have been planted), and the key-committing wrap of version-2 slots.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { userName } from '../user-name';
import { AuthenticationError, KEY_LENGTH, open, seal, SEAL_OVERHEAD } from './aead';
import { decodeBase64Strict, encodeBase64 } from './base64';
import { defaultKdfParams, deriveKey, validateKdfParams, type KdfBounds, type KdfParams } from './kdf';

export interface MasterKeys {
  /** Encrypts every stored object. */
  encryption: Uint8Array;
  /** Keys the content ids (HMAC) of chunks. */
  contentId: Uint8Array;
  /** Keys the chunker's gear table, so chunk boundaries reveal nothing. */
  chunker: Uint8Array;
}

interface SlotLabels {
  kdf: KdfParams;
  /** ISO 8601 creation time. */
  created: string;
  /** Where the slot was made, for the user's benefit when listing slots. */
  host: string;
  user: string;
}

/** Written before slot version 2; still read (format.md 3.3, 9.5). */
export interface KeySlotV1 extends SlotLabels {
  version: 1;
  /** Base64 of seal(kek, encryption || contentId || chunker, AD 'strata keyslot v1'). */
  wrapped: string;
}

/** What every slot is written as now: bound to its repository, and key-committing. */
export interface KeySlotV2 extends SlotLabels {
  version: 2;
  /** The repository id (config's `id`) the slot belongs to; bound into the commitment and the wrap's AD. */
  repository: string;
  /** Base64 of HMAC-SHA256(commitKey, 'strata keyslot v2 commitment ' || repository): checked before the wrap is opened. */
  commitment: string;
  /** Base64 of seal(wrapKey, encryption || contentId || chunker, AD 'strata keyslot v2 ' || repository). */
  wrapped: string;
}

export type KeySlot = KeySlotV1 | KeySlotV2;

export interface CreateKeySlotOptions {
  /** The repository id (64 hex digits) the slot is bound to. */
  repository: string;
  kdf?: KdfParams;
  host?: string;
  user?: string;
}

/** No key slot opened with the given passphrase. */
export class WrongPassphraseError extends Error {
  readonly code = 'WRONG_PASSPHRASE' as const;
  constructor() {
    super('wrong passphrase (no key slot could be opened)');
    this.name = 'WrongPassphraseError';
  }
}

/** A key slot read from disk is malformed. */
export class InvalidKeySlotError extends Error {
  readonly code = 'INVALID_KEY_SLOT' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidKeySlotError';
  }
}

const encoder = new TextEncoder();
const V1_AD = encoder.encode('strata keyslot v1');
const v2Ad = (repository: string): Uint8Array => encoder.encode(`strata keyslot v2 ${repository}`);
const v2CommitmentMessage = (repository: string): Uint8Array => encoder.encode(`strata keyslot v2 commitment ${repository}`);
const COMMITMENT_LENGTH = 32;
const REPOSITORY_ID = /^[0-9a-f]{64}$/;
const WRAPPED_KEYS_LENGTH = 3 * KEY_LENGTH;
const WRAPPED_LENGTH = WRAPPED_KEYS_LENGTH + SEAL_OVERHEAD;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_LABEL_LENGTH = 256;

/** Three fresh independent 32-byte keys from the system CSPRNG. */
export function generateMasterKeys(): MasterKeys {
  return {
    encryption: new Uint8Array(randomBytes(KEY_LENGTH)),
    contentId: new Uint8Array(randomBytes(KEY_LENGTH)),
    chunker: new Uint8Array(randomBytes(KEY_LENGTH)),
  };
}

function assertMasterKeys(master: MasterKeys): void {
  for (const name of ['encryption', 'contentId', 'chunker'] as const) {
    const key: unknown = master[name];
    if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
      throw new RangeError(`master key '${name}' must be a ${KEY_LENGTH}-byte Uint8Array`);
    }
  }
}

// Version 2 derives 64 bytes in one scrypt run: the wrap key, then the
// commitment key. The commitment (an HMAC under the second half) pins the one
// scrypt output, hence the one passphrase, that the slot opens with; the AEAD
// alone does not (Poly1305 is not key-committing: one ciphertext can be made to
// open under many keys), which is what a partitioning oracle needs.
interface V2Keys {
  wrapKey: Uint8Array;
  commitment: Uint8Array;
}

async function v2Keys(passphrase: string, kdf: KdfParams, repository: string): Promise<V2Keys> {
  const derived = await deriveKey(passphrase, kdf, 2 * KEY_LENGTH);
  try {
    const wrapKey = derived.slice(0, KEY_LENGTH);
    const commitment = new Uint8Array(createHmac('sha256', derived.subarray(KEY_LENGTH)).update(v2CommitmentMessage(repository)).digest());
    return { wrapKey, commitment };
  } finally {
    derived.fill(0);
  }
}

/** Wraps the master keys under a passphrase as a version-2 slot. Default KDF: defaultKdfParams() (fresh salt). */
export async function createKeySlot(master: MasterKeys, passphrase: string, options: CreateKeySlotOptions): Promise<KeySlotV2> {
  assertMasterKeys(master);
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new RangeError('passphrase must not be empty');
  if (typeof options.repository !== 'string' || !REPOSITORY_ID.test(options.repository)) {
    throw new RangeError('a key slot needs the repository id (64 lowercase hex digits)');
  }
  const kdf = validateKdfParams(options.kdf ?? defaultKdfParams());
  const { wrapKey, commitment } = await v2Keys(passphrase, kdf, options.repository);
  const keys = new Uint8Array(WRAPPED_KEYS_LENGTH);
  keys.set(master.encryption, 0);
  keys.set(master.contentId, KEY_LENGTH);
  keys.set(master.chunker, 2 * KEY_LENGTH);
  let wrapped: Uint8Array;
  try {
    wrapped = seal(wrapKey, keys, v2Ad(options.repository));
  } finally {
    wrapKey.fill(0);
    keys.fill(0);
  }
  // Round-trip through the parser so we never write a slot we would refuse to read.
  const slot = parseKeySlot({
    version: 2,
    repository: options.repository,
    kdf,
    created: new Date().toISOString(),
    host: options.host ?? hostname(),
    user: options.user ?? userName() ?? '', // the label is informational only
    commitment: encodeBase64(commitment),
    wrapped: encodeBase64(wrapped),
  });
  return slot as KeySlotV2;
}

/**
 * Unwraps the master keys; WrongPassphraseError if the passphrase (or the
 * slot) does not authenticate. The slot is validated first, so parameters out
 * of bounds throw InvalidKeySlotError before any key derivation.
 */
export async function openKeySlot(slot: KeySlot, passphrase: string, options: SlotBounds = {}): Promise<MasterKeys> {
  const checked = parseKeySlot(slot, options);
  const wrapped = decodeBase64Strict(checked.wrapped) ?? new Uint8Array(0); // parseKeySlot checked it
  let kek: Uint8Array;
  let ad: Uint8Array;
  if (checked.version === 1) {
    kek = await deriveKey(passphrase, checked.kdf, KEY_LENGTH, options.legacyV1 ? 'legacy' : 'standard');
    ad = V1_AD;
  } else {
    const { wrapKey, commitment } = await v2Keys(passphrase, checked.kdf, checked.repository);
    const stored = decodeBase64Strict(checked.commitment) ?? new Uint8Array(0); // parseKeySlot checked it
    // Constant time, and before the wrap is opened: a slot that commits to another key is not tried at all.
    if (!timingSafeEqual(commitment, stored)) {
      wrapKey.fill(0);
      throw new WrongPassphraseError();
    }
    kek = wrapKey;
    ad = v2Ad(checked.repository);
  }
  let keys: Uint8Array;
  try {
    keys = open(kek, wrapped, ad);
  } catch (error) {
    // A wrong passphrase and a tampered slot are indistinguishable, by design.
    if (error instanceof AuthenticationError) throw new WrongPassphraseError();
    throw error;
  } finally {
    kek.fill(0);
  }
  // parseKeySlot fixed the wrapped length, so `keys` is exactly the three keys.
  try {
    return {
      encryption: keys.slice(0, KEY_LENGTH),
      contentId: keys.slice(KEY_LENGTH, 2 * KEY_LENGTH),
      chunker: keys.slice(2 * KEY_LENGTH),
    };
  } finally {
    keys.fill(0);
  }
}

function label(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InvalidKeySlotError(`key slot: '${field}' must be a string`);
  if (value.length > MAX_LABEL_LENGTH) throw new InvalidKeySlotError(`key slot: '${field}' is longer than ${MAX_LABEL_LENGTH} characters`);
  return value;
}

function base64Field(value: unknown, field: string, length: number): string {
  const bytes = typeof value === 'string' ? decodeBase64Strict(value) : undefined;
  if (typeof value !== 'string' || bytes === undefined) {
    throw new InvalidKeySlotError(`key slot: '${field}' must be standard padded base64`);
  }
  if (bytes.length !== length) throw new InvalidKeySlotError(`key slot: '${field}' is ${bytes.length} bytes, expected ${length}`);
  return value;
}

/** With `legacyV1`, a version-1 slot may ask for the costlier KDF parameters allowed when it was written (kdf.ts, KdfBounds). */
export interface SlotBounds {
  legacyV1?: boolean;
}

/** Validates an untrusted, JSON-parsed key slot (version 1 or 2) and returns a clean copy (unknown fields dropped). */
export function parseKeySlot(json: unknown, options: SlotBounds = {}): KeySlot {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidKeySlotError('key slot must be a JSON object');
  }
  const { version, repository, kdf, created, host, user, commitment, wrapped } = json as Record<string, unknown>;
  if (version !== 1 && version !== 2) {
    throw new InvalidKeySlotError(`unsupported key slot version ${JSON.stringify(version) ?? 'undefined'} (expected 1 or 2)`);
  }
  let checkedKdf: KdfParams;
  try {
    const bounds: KdfBounds = options.legacyV1 && version === 1 ? 'legacy' : 'standard';
    checkedKdf = validateKdfParams(kdf, bounds);
  } catch (error) {
    throw new InvalidKeySlotError(`key slot: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof created !== 'string' || !ISO_DATE.test(created) || Number.isNaN(Date.parse(created))) {
    throw new InvalidKeySlotError(`key slot: 'created' must be an ISO 8601 date-time`);
  }
  const labels = { kdf: checkedKdf, created, host: label(host, 'host'), user: label(user, 'user') };
  const checkedWrapped = base64Field(wrapped, 'wrapped', WRAPPED_LENGTH);
  if (version === 1) return { version: 1, ...labels, wrapped: checkedWrapped };
  if (typeof repository !== 'string' || !REPOSITORY_ID.test(repository)) {
    throw new InvalidKeySlotError(`key slot: 'repository' must be 64 lowercase hex digits`);
  }
  return { version: 2, repository, ...labels, commitment: base64Field(commitment, 'commitment', COMMITMENT_LENGTH), wrapped: checkedWrapped };
}
