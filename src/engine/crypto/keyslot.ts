// Repository master keys and passphrase key slots. A slot wraps the three
// master keys under a key-encryption key derived from a passphrase, so
// passphrases can be added, changed or removed without re-encrypting data.
// Owns the slot's JSON shape and its validation (slots are read from disk).

import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { AuthenticationError, KEY_LENGTH, open, seal, SEAL_OVERHEAD } from './aead';
import { decodeBase64Strict, encodeBase64 } from './base64';
import { defaultKdfParams, deriveKey, validateKdfParams, type KdfParams } from './kdf';

export interface MasterKeys {
  /** Encrypts every stored object. */
  encryption: Uint8Array;
  /** Keys the content ids (HMAC) of chunks. */
  contentId: Uint8Array;
  /** Keys the chunker's gear table, so chunk boundaries reveal nothing. */
  chunker: Uint8Array;
}

export interface KeySlot {
  version: 1;
  kdf: KdfParams;
  /** ISO 8601 creation time. */
  created: string;
  /** Where the slot was made, for the user's benefit when listing slots. */
  host: string;
  user: string;
  /** Base64 of seal(kek, encryption || contentId || chunker, AD 'strata keyslot v1'). */
  wrapped: string;
}

export interface CreateKeySlotOptions {
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

const SLOT_AD = new TextEncoder().encode('strata keyslot v1');
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

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return ''; // no passwd entry (some containers): the label is informational only
  }
}

/** Wraps the master keys under a passphrase. Default KDF: defaultKdfParams() (fresh salt). */
export async function createKeySlot(master: MasterKeys, passphrase: string, options: CreateKeySlotOptions = {}): Promise<KeySlot> {
  assertMasterKeys(master);
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new RangeError('passphrase must not be empty');
  const kdf = validateKdfParams(options.kdf ?? defaultKdfParams());
  const kek = await deriveKey(passphrase, kdf, KEY_LENGTH);
  const keys = new Uint8Array(WRAPPED_KEYS_LENGTH);
  keys.set(master.encryption, 0);
  keys.set(master.contentId, KEY_LENGTH);
  keys.set(master.chunker, 2 * KEY_LENGTH);
  let wrapped: Uint8Array;
  try {
    wrapped = seal(kek, keys, SLOT_AD);
  } finally {
    kek.fill(0);
    keys.fill(0);
  }
  // Round-trip through the parser so we never write a slot we would refuse to read.
  return parseKeySlot({
    version: 1,
    kdf,
    created: new Date().toISOString(),
    host: options.host ?? hostname(),
    user: options.user ?? currentUser(),
    wrapped: encodeBase64(wrapped),
  });
}

/** Unwraps the master keys; WrongPassphraseError if the passphrase (or the slot) does not authenticate. */
export async function openKeySlot(slot: KeySlot, passphrase: string): Promise<MasterKeys> {
  const checked = parseKeySlot(slot);
  const kek = await deriveKey(passphrase, checked.kdf, KEY_LENGTH);
  const wrapped = decodeBase64Strict(checked.wrapped) ?? new Uint8Array(0); // parseKeySlot checked it
  let keys: Uint8Array;
  try {
    keys = open(kek, wrapped, SLOT_AD);
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

/** Validates an untrusted, JSON-parsed key slot and returns a clean copy (unknown fields dropped). */
export function parseKeySlot(json: unknown): KeySlot {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidKeySlotError('key slot must be a JSON object');
  }
  const { version, kdf, created, host, user, wrapped } = json as Record<string, unknown>;
  if (version !== 1) throw new InvalidKeySlotError(`unsupported key slot version ${JSON.stringify(version) ?? 'undefined'} (expected 1)`);
  let checkedKdf: KdfParams;
  try {
    checkedKdf = validateKdfParams(kdf);
  } catch (error) {
    throw new InvalidKeySlotError(`key slot: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof created !== 'string' || !ISO_DATE.test(created) || Number.isNaN(Date.parse(created))) {
    throw new InvalidKeySlotError(`key slot: 'created' must be an ISO 8601 date-time`);
  }
  const wrappedBytes = typeof wrapped === 'string' ? decodeBase64Strict(wrapped) : undefined;
  if (typeof wrapped !== 'string' || wrappedBytes === undefined) {
    throw new InvalidKeySlotError(`key slot: 'wrapped' must be standard padded base64`);
  }
  if (wrappedBytes.length !== WRAPPED_LENGTH) {
    throw new InvalidKeySlotError(`key slot: 'wrapped' is ${wrappedBytes.length} bytes, expected ${WRAPPED_LENGTH}`);
  }
  return { version: 1, kdf: checkedKdf, created, host: label(host, 'host'), user: label(user, 'user'), wrapped };
}
