// The offline catalog's cryptography: what the page makes of the key the
// engine hands out after authentication (catalog.key), and sealing rows with
// it. Everything the catalog stores beyond opaque ids goes through here, so a
// later page on the same origin (after `strata serve` exits, the next server
// on that port) finds only ciphertext (docs/architecture.md). WebCrypto only:
// the keys are non-extractable, and the raw key is not kept.

/** The catalog's keys for one repository, held in memory while unlocked. */
export interface CatalogKey {
  /** The repository the key belongs to (catalog.key's answer). */
  readonly repository: string;
  /** The database's name: opaque, derived from the key (names nothing about the repository). */
  readonly name: string;
  /** AES-256-GCM: seals rows. */
  readonly rows: CryptoKey;
  /** HMAC-SHA-256: opaque row ids where the natural id says something (activity ids carry their time). */
  readonly ids: CryptoKey;
}

/** Prefix of sealed catalogs' names; other `strata-catalog-*` databases are the unsealed catalog's leftovers. */
export const SEALED_PREFIX = 'strata-catalog-v2-';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const IV_LENGTH = 12;
const KEY_LENGTH = 32;

/** Derives the catalog's keys and name from catalog.key's answer. Throws on a malformed key. */
export async function importCatalogKey(answer: { repository: string; key: string }): Promise<CatalogKey> {
  const raw = fromBase64(answer.key);
  if (raw.length !== KEY_LENGTH) throw new Error('The catalog key is malformed.');
  try {
    const base = await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey', 'deriveBits']);
    // One key per purpose, each bound to its label (HKDF-SHA-256, no salt: the input is a uniform key).
    const params = (label: string): HkdfParams => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(`strata catalog ${label} v1`) });
    const rows = await crypto.subtle.deriveKey(params('rows'), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const ids = await crypto.subtle.deriveKey(params('ids'), base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
    const name = toHex(new Uint8Array(await crypto.subtle.deriveBits(params('name'), base, 128)));
    return { repository: answer.repository, name: `${SEALED_PREFIX}${name}`, rows, ids };
  } finally {
    raw.fill(0);
  }
}

/**
 * Seals `value` (JSON) for the row `id` of `table`: 12-byte random IV, then
 * AES-GCM ciphertext and tag. The associated data binds table and id, so a
 * row moved to another place does not open there.
 */
export async function sealRow(key: CatalogKey, table: string, id: string, value: unknown): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const plain = encoder.encode(JSON.stringify(value));
  // Promise.resolve: a live query keeps tracking Dexie reads across a non-Dexie await only this way (Dexie's rules).
  const sealed = new Uint8Array(await Promise.resolve(crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: rowAd(table, id) }, key.rows, plain)));
  const out = new Uint8Array(IV_LENGTH + sealed.length);
  out.set(iv);
  out.set(sealed, IV_LENGTH);
  return out;
}

/** Opens a sealed row; undefined when it does not open (another key, damaged, or moved). */
export async function openRow(key: CatalogKey, table: string, id: string, stored: unknown): Promise<unknown> {
  // isView, not instanceof: a row read back may be a typed array of another realm.
  if (!ArrayBuffer.isView(stored) || stored.byteLength < IV_LENGTH + 16) return undefined;
  const sealed = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  try {
    const plain = await Promise.resolve(
      crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.slice(0, IV_LENGTH), additionalData: rowAd(table, id) }, key.rows, sealed.slice(IV_LENGTH)),
    );
    return JSON.parse(decoder.decode(plain)) as unknown;
  } catch {
    return undefined;
  }
}

/** An opaque row id for `id` (hex HMAC): the same id always gives the same row. */
export async function opaqueId(key: CatalogKey, table: string, id: string): Promise<string> {
  const mac = await Promise.resolve(crypto.subtle.sign('HMAC', key.ids, rowAd(table, id)));
  return toHex(new Uint8Array(mac, 0, 16));
}

function rowAd(table: string, id: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`strata catalog row v1\u0000${table}\u0000${id}`);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error('The catalog key is malformed.');
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
