// The repository: opening and creating it, its keys, its encrypted objects
// (config, index, snapshots) and reading blobs out of packs. Writing blobs is
// BlobStore's job (blob-store.ts); walking trees is the snapshot layer's.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { userName } from '../user-name';
import { gearTable } from '../chunk/gear';
import { DEFAULT_CHUNKER_PARAMS, FastCdc, type ChunkerParams } from '../chunk/fastcdc';
import { AuthenticationError, innerKeyAndNonce, NONCE_LENGTH, open, seal } from '../crypto/aead';
import { blobWorkers, type OpenItem } from '../workers/blob-workers';
import { ContentIdHasher } from '../crypto/content-id';
import type { KdfParams } from '../crypto/kdf';
import {
  createKeySlot,
  generateMasterKeys,
  openKeySlot,
  parseKeySlot,
  WrongPassphraseError,
  type CreateKeySlotOptions,
  type KeySlot,
  type SlotBounds,
  type MasterKeys,
} from '../crypto/keyslot';
import { DamagedObjectError, EngineError } from '../errors';
import { NotFoundError, type Backend } from '../storage/backend';
import { ChunkIndex, type IndexedBlob } from './chunk-index';
import { validateConfig, type RepoConfig } from './config';
import { blobAd, blobTypeName, contentIdDomain, idOfName, kindOfPrefix, objectAd, objectNames, toHex } from './format';
import { decodeIndex, encodeIndex, type PackEntries } from './index-file';
import { listObjects, StrayLog } from './listing';

export interface InitOptions {
  kdf?: KdfParams;
  chunker?: ChunkerParams;
  packSize?: number;
}

export interface KeyInfo {
  id: string;
  /** The slot's format version (2: bound to the repository and key-committing; 1: written before). */
  version?: 1 | 2;
  created: string;
  host: string;
  user: string;
  current: boolean;
  /** Why the slot cannot be used (malformed, or KDF parameters out of bounds): it can only be removed. */
  damaged?: string;
}

export interface OpenOptions {
  /** The id of the key slot to try first: the one this machine opened last (location.ts keeps it). */
  preferredKey?: string;
}

/**
 * Key slots one open tries at most, each a key derivation: slots are not
 * authenticated, so a pile of planted ones must cost a bounded time. `key add`
 * makes no more than this, so every genuine slot stays within reach.
 */
export const MAX_KEY_SLOTS_TRIED = 8;

export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function randomId(): string {
  return randomBytes(32).toString('hex');
}

export class Repository {
  readonly index = new ChunkIndex();
  readonly hasher: ContentIdHasher;
  readonly chunker: FastCdc;
  private indexLoaded = false;
  private readonly loadedIndexes = new Set<string>();

  private constructor(
    readonly backend: Backend,
    readonly config: RepoConfig,
    readonly keys: MasterKeys,
    readonly keyId: string,
    /** Files found among the objects that are not objects (listing.ts): ignored, and reported to its listeners. */
    readonly strays = new StrayLog(),
  ) {
    this.hasher = new ContentIdHasher(keys.contentId);
    this.chunker = new FastCdc(config.chunker, gearTable(keys.chunker));
  }

  /** Creates a repository in an empty location. */
  static async init(backend: Backend, passphrase: string, options: InitOptions = {}): Promise<Repository> {
    if (await exists(backend, objectNames.config)) {
      throw new EngineError('REPO_EXISTS', `a repository already exists at ${backend.location}`);
    }
    const keys = generateMasterKeys();
    const config: RepoConfig = {
      version: 1,
      id: randomId(),
      created: new Date().toISOString(),
      chunker: options.chunker ?? DEFAULT_CHUNKER_PARAMS,
      contentId: 'hmac-sha256',
      cipher: 'xchacha20-poly1305',
      compression: ['none', 'brotli'],
      packSize: options.packSize ?? DEFAULT_PACK_SIZE,
    };
    // Key slot first, config last: a location holds a repository once `config` exists.
    const slot = await createKeySlot(keys, passphrase, slotOptions(config.id, options.kdf));
    const keyId = randomId();
    await backend.put(objectNames.key(keyId), encoder.encode(JSON.stringify(slot, null, 2)), { ifNotExists: true });
    const sealed = seal(keys.encryption, encoder.encode(JSON.stringify(config)), objectAd('config', 'config'));
    await backend.put(objectNames.config, sealed, { ifNotExists: true });
    return new Repository(backend, config, keys, keyId);
  }

  /**
   * Opens a repository with a passphrase. Tries the key slots one by one (the
   * preferred one first, then in name order, at most MAX_KEY_SLOTS_TRIED), and
   * takes the first whose keys open the config: a slot that opens but whose
   * keys do not (one copied from another repository) is passed over, as is one
   * that cannot be read, so no planted slot locks the owner out.
   */
  static async open(backend: Backend, passphrase: string, options: OpenOptions = {}): Promise<Repository> {
    let sealedConfig: Uint8Array;
    try {
      sealedConfig = await backend.get(objectNames.config);
    } catch (error) {
      if (error instanceof NotFoundError) throw noRepository(backend);
      throw error;
    }
    const strays = new StrayLog(); // handed to the repository, whose listeners then hear of them too
    const names = await listNames(backend, objectNames.keyPrefix, strays.report);
    if (names.length === 0) throw incompleteRepository(backend);
    const preferred = options.preferredKey === undefined ? undefined : objectNames.key(options.preferredKey);
    const order = preferred !== undefined && names.includes(preferred) ? [preferred, ...names.filter((n) => n !== preferred)] : names;
    const tried = order.slice(0, MAX_KEY_SLOTS_TRIED);
    let unreadable = 0;
    let foreign = 0;
    /** The repository if this slot's keys (opened with the passphrase) open the config; undefined to try the next. */
    const attempt = async (name: string, slot: KeySlot, bounds: SlotBounds): Promise<Repository | undefined> => {
      let keys: MasterKeys;
      try {
        keys = await openKeySlot(slot, passphrase, bounds);
      } catch (error) {
        if (error instanceof WrongPassphraseError) return undefined;
        throw error;
      }
      const config = openConfig(keys, sealedConfig);
      if (config === undefined || (slot.version === 2 && slot.repository !== config.id)) {
        for (const key of [keys.encryption, keys.contentId, keys.chunker]) key.fill(0);
        foreign++;
        return undefined;
      }
      return new Repository(backend, config, keys, idOfName(name), strays);
    };
    // Version-1 slots beyond today's KDF bounds but within those they were written under.
    const costly: Array<{ name: string; slot: KeySlot }> = [];
    for (const name of tried) {
      // Parsing checks the KDF bounds: a slot out of them is passed over before any derivation.
      const bytes = await backend.get(name);
      const slot = parseSlotOrUndefined(bytes, {});
      if (slot === undefined) {
        const legacy = parseSlotOrUndefined(bytes, LEGACY);
        if (legacy === undefined) unreadable++;
        else if (name === preferred) {
          // This machine opened it before: its cost is the owner's choice.
          const repo = await attempt(name, legacy, LEGACY);
          if (repo) return repo;
        } else costly.push({ name, slot: legacy });
        continue;
      }
      const repo = await attempt(name, slot, {});
      if (repo) return repo;
    }
    // At most one costly derivation per open, and only once every other slot failed.
    const last = costly[0];
    if (last) {
      const repo = await attempt(last.name, last.slot, LEGACY);
      if (repo) return repo;
    }
    if (foreign > 0) {
      throw new DamagedObjectError(
        objectNames.config,
        `it fails authentication under the keys of every key slot this passphrase opens (${foreign}): the config is damaged, or those are key slots copied from another repository`,
      );
    }
    if (unreadable > 0 && unreadable === names.length) {
      throw new DamagedObjectError(objectNames.keyPrefix, 'no key slot is readable');
    }
    if (tried.length < names.length) {
      throw new EngineError(
        'WRONG_PASSPHRASE',
        `wrong passphrase: it opens none of the ${tried.length} of the ${names.length} key slots tried (an open tries at most ${MAX_KEY_SLOTS_TRIED}: open with another passphrase and remove unused slots with \`strata key remove\`)`,
      );
    }
    throw new EngineError('WRONG_PASSPHRASE', 'wrong passphrase: it opens none of the repository\'s keys');
  }

  // ---- keys -------------------------------------------------------------

  /** Every key slot, oldest first; one that cannot be used is listed as damaged (so it can be removed). */
  async listKeys(): Promise<KeyInfo[]> {
    const result: KeyInfo[] = [];
    for (const name of await listNames(this.backend, objectNames.keyPrefix, this.strays.report)) {
      const id = idOfName(name);
      const current = id === this.keyId;
      try {
        const slot = await readSlot(this.backend, name, LEGACY); // listed as usable: an open tries it (last)
        result.push({ id, version: slot.version, created: slot.created, host: slot.host, user: slot.user, current });
      } catch (error) {
        if (!(error instanceof DamagedObjectError)) throw error;
        const reason = error.cause instanceof Error ? error.cause.message : error.message;
        result.push({ id, created: '', host: '', user: '', current, damaged: reason });
      }
    }
    return result.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Adds a key slot for another passphrase; refuses past MAX_KEY_SLOTS_TRIED (an open would not reach it). */
  async addKey(passphrase: string, kdf?: KdfParams): Promise<string> {
    const count = (await listNames(this.backend, objectNames.keyPrefix)).length;
    if (count >= MAX_KEY_SLOTS_TRIED) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `this repository already has ${count} key slots, the most an open tries (${MAX_KEY_SLOTS_TRIED}): remove one first (\`strata key remove\`)`,
      );
    }
    return this.writeKey(passphrase, kdf);
  }

  private async writeKey(passphrase: string, kdf: KdfParams | undefined): Promise<string> {
    const slot = await createKeySlot(this.keys, passphrase, slotOptions(this.config.id, kdf));
    const id = randomId();
    await this.backend.put(objectNames.key(id), encoder.encode(JSON.stringify(slot, null, 2)), { ifNotExists: true });
    return id;
  }

  /** Removes a key slot by id or unique prefix; never the one in use, never the last. */
  async removeKey(idOrPrefix: string): Promise<string> {
    const keys = await this.listKeys();
    const id = resolvePrefix(keys.map((k) => k.id), idOrPrefix, 'key');
    if (id === this.keyId) {
      throw new EngineError('INVALID_ARGUMENT', 'refusing to remove the key in use; open the repository with another passphrase to remove it');
    }
    await this.backend.delete(objectNames.key(id));
    return id;
  }

  /** Replaces the current key slot's passphrase: adds a new (version-2) slot, then removes the old one. */
  async changePassphrase(passphrase: string, kdf?: KdfParams): Promise<string> {
    const id = await this.writeKey(passphrase, kdf);
    await this.backend.delete(objectNames.key(this.keyId));
    return id;
  }

  // ---- encrypted objects -----------------------------------------------

  sealObject(type: 'index' | 'snapshot' | 'versions', id: string, plain: Uint8Array): Uint8Array {
    return seal(this.keys.encryption, plain, objectAd(type, id));
  }

  async readObject(type: 'index' | 'snapshot' | 'versions', name: string): Promise<Uint8Array> {
    const sealed = await this.backend.get(name);
    try {
      return open(this.keys.encryption, sealed, objectAd(type, idOfName(name)));
    } catch (error) {
      throw new DamagedObjectError(name, 'fails authentication (corrupted or tampered)', { cause: error });
    }
  }

  async writeJson(type: 'snapshot', value: unknown): Promise<string> {
    const id = randomId();
    const sealed = this.sealObject(type, id, encoder.encode(JSON.stringify(value)));
    await this.backend.put(objectNames.snapshot(id), sealed, { ifNotExists: true });
    return id;
  }

  /** Seals `plain` under a name the caller chose; AlreadyExistsError if it exists. */
  async putObjectExclusive(type: 'versions', name: string, plain: Uint8Array): Promise<void> {
    await this.backend.put(name, this.sealObject(type, idOfName(name), plain), { ifNotExists: true });
  }

  async readJson(type: 'snapshot', name: string): Promise<unknown> {
    const plain = await this.readObject(type, name);
    try {
      return JSON.parse(decoder.decode(plain));
    } catch (error) {
      throw new DamagedObjectError(name, 'not valid JSON', { cause: error });
    }
  }

  // ---- index -----------------------------------------------------------

  /** Loads every index object not loaded yet. Damaged ones are reported to `onDamaged` (default: throw). */
  async loadIndex(onDamaged?: (name: string, error: unknown) => void): Promise<void> {
    for (const name of await listNames(this.backend, objectNames.indexPrefix, this.strays.report)) {
      if (this.loadedIndexes.has(name)) continue;
      try {
        const packs = decodeIndex(name, await this.readObject('index', name));
        for (const p of packs) {
          this.index.setPackSize(p.pack, p.size);
          for (const entry of p.entries) this.index.add(p.pack, entry);
        }
        this.loadedIndexes.add(name);
      } catch (error) {
        if (!onDamaged) throw error;
        onDamaged(name, error);
      }
    }
    this.indexLoaded = true;
  }

  async ensureIndex(): Promise<void> {
    if (!this.indexLoaded) await this.loadIndex();
  }

  /** Names of the index objects loaded so far. */
  indexNames(): string[] {
    return [...this.loadedIndexes];
  }

  /** Writes an index object describing `packs`; returns its name. */
  async writeIndex(packs: PackEntries[]): Promise<string> {
    const id = randomId();
    const name = objectNames.index(id);
    await this.backend.put(name, this.sealObject('index', id, encodeIndex(packs)), { ifNotExists: true });
    for (const p of packs) this.index.setPackSize(p.pack, p.size);
    this.loadedIndexes.add(name);
    return name;
  }

  // ---- blobs -----------------------------------------------------------

  /** Reads, authenticates and decompresses one blob (in a blob worker, like every blob read). */
  async loadBlob(id: Uint8Array, expectedType?: number): Promise<Uint8Array> {
    const entry = this.index.get(id);
    if (!entry) throw new EngineError('DAMAGED', `missing data: blob ${toHex(id)} is in no index (run \`strata check\`; \`strata repair index\` may recover it)`);
    if (expectedType !== undefined && entry.type !== expectedType) {
      throw new DamagedObjectError(objectNames.pack(entry.pack), `blob ${toHex(id)} is a ${blobTypeName(entry.type)} blob, expected ${blobTypeName(expectedType)}`);
    }
    const sealed = await this.readPack(entry.pack, entry.offset, entry.length);
    const [opened] = await this.openBlobs([entry], sealed, entry.offset, { verify: false, keep: true });
    if (opened?.error) throw opened.error;
    if (!opened?.plain) throw new DamagedObjectError(objectNames.pack(entry.pack), `blob ${toHex(id)} could not be opened`);
    return opened.plain;
  }

  /**
   * Reads bytes [offset, offset+length) of pack `pack`, where the index places
   * blobs. A pack that is gone, or shorter than the index says, is damaged data
   * like a blob that fails authentication (DAMAGED, naming the pack), not an
   * I/O failure: readers then name what it costs and go on with the rest.
   */
  async readPack(pack: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const name = objectNames.pack(pack);
    try {
      return await this.backend.getRange(name, offset, length, into);
    } catch (error) {
      if (error instanceof NotFoundError) throw new DamagedObjectError(name, 'pack is missing (the index names it)', { cause: error });
      if (error instanceof RangeError) throw new DamagedObjectError(name, `pack is truncated: it ends before bytes ${offset}-${offset + length}, where the index places blobs`, { cause: error });
      throw error;
    }
  }

  /**
   * Opens the blobs `entries` of one pack, read as `region` starting at pack
   * offset `regionStart`, in a blob worker: decryption, decompression and
   * (with verify) the content-id check happen off the main thread.
   */
  async openBlobs(
    entries: IndexedBlob[],
    region: Uint8Array,
    regionStart: number,
    options: { verify: boolean; keep: boolean; onRegionHash?: (sha256: Uint8Array) => void },
    // keep: plaintexts are returned; raw blobs may come back as views of `region`, decrypted in place.
  ): Promise<Array<{ plain?: Uint8Array; error?: DamagedObjectError }>> {
    const items: OpenItem[] = entries.map((entry) => {
      const start = entry.offset - regionStart;
      const nonce = region.subarray(start, start + NONCE_LENGTH);
      if (start < 0 || start + entry.length > region.length || nonce.length !== NONCE_LENGTH) {
        throw new RangeError('blob outside the region read');
      }
      const { subkey, innerNonce } = innerKeyAndNonce(this.keys.encryption, nonce);
      return {
        start,
        length: entry.length,
        subkey,
        innerNonce,
        ad: blobAd(entry.type, entry.id),
        compression: entry.compression,
        rawLength: entry.rawLength,
        ...(options.verify ? { verify: { key: this.keys.contentId, domain: contentIdDomain(entry.type), id: entry.id } } : {}),
        keep: options.keep,
        inPlace: options.keep,
      };
    });
    const { opened: results, sha256 } = await blobWorkers.openBatch(region, items, options.onRegionHash !== undefined);
    if (sha256) options.onRegionHash?.(sha256);
    return results.map((result, i) => {
      const entry = entries[i] as IndexedBlob;
      if (result.error !== undefined) {
        return { error: new DamagedObjectError(objectNames.pack(entry.pack), `blob ${toHex(entry.id)} ${result.error}`) };
      }
      if (result.inPlace) {
        const start = entry.offset - regionStart + NONCE_LENGTH;
        return { plain: region.subarray(start, start + entry.rawLength) };
      }
      return result.bytes ? { plain: result.bytes } : {};
    });
  }

  // ---- snapshots -------------------------------------------------------

  async snapshotIds(): Promise<string[]> {
    return (await listNames(this.backend, objectNames.snapshotPrefix, this.strays.report)).map(idOfName);
  }

  /** Resolves a snapshot id, a unique prefix of one (≥ 4 hex digits). */
  async resolveSnapshotId(idOrPrefix: string): Promise<string> {
    return resolvePrefix(await this.snapshotIds(), idOrPrefix, 'snapshot');
  }
}

function slotOptions(repository: string, kdf: KdfParams | undefined): CreateKeySlotOptions {
  const user = userName() ?? 'unknown';
  return kdf ? { repository, kdf, host: hostname(), user } : { repository, host: hostname(), user };
}

function noRepository(backend: Backend): EngineError {
  return new EngineError('NO_REPOSITORY', `no repository at ${backend.location} (run \`strata init\` first)`);
}

// A config without key slots: what a sync or clone stopped early could leave
// before slots were uploaded first, or a keys/ emptied since. No passphrase
// can open it, so saying "wrong passphrase" would send the user the wrong way.
function incompleteRepository(backend: Backend): EngineError {
  return new EngineError(
    'NO_REPOSITORY',
    `the repository at ${backend.location} is incomplete: it has a config but no key slots yet, so no passphrase can open it; if a sync or clone to it stopped early, run \`strata sync\` again on the device that has the repository`,
  );
}

/** Throws NO_REPOSITORY unless `backend` holds a repository a passphrase could open (a config and a key slot); needs no passphrase. */
export async function assertRepository(backend: Backend): Promise<void> {
  if (!(await exists(backend, objectNames.config))) throw noRepository(backend);
  if ((await listNames(backend, objectNames.keyPrefix)).length === 0) throw incompleteRepository(backend);
}

/** The config opened with `keys`; undefined if it does not authenticate under them (keys of another repository). */
function openConfig(keys: MasterKeys, sealed: Uint8Array): RepoConfig | undefined {
  let plain: Uint8Array;
  try {
    plain = open(keys.encryption, sealed, objectAd('config', 'config'));
  } catch (error) {
    if (error instanceof AuthenticationError) return undefined;
    throw error;
  }
  // It authenticated, so these are the repository's keys: a config that does not parse is damage.
  try {
    return validateConfig(JSON.parse(decoder.decode(plain)));
  } catch (error) {
    throw new DamagedObjectError(objectNames.config, error instanceof Error ? error.message : 'unreadable', { cause: error });
  }
}

async function exists(backend: Backend, name: string): Promise<boolean> {
  try {
    await backend.head(name);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** Names of the objects under a kind's prefix (format.ts), sorted; anything else there is left out and reported to `onStray` (listing.ts). */
export async function listNames(backend: Backend, prefix: string, onStray?: (name: string) => void): Promise<string[]> {
  return (await listObjects(backend, kindOfPrefix(prefix), onStray)).map((info) => info.name);
}

/** Version-1 slots may use the KDF bounds they were written under (crypto/kdf.ts, KdfBounds). */
const LEGACY: SlotBounds = { legacyV1: true };

async function readSlot(backend: Backend, name: string, bounds: SlotBounds = {}): Promise<KeySlot> {
  const bytes = await backend.get(name);
  try {
    return parseKeySlot(JSON.parse(decoder.decode(bytes)), bounds);
  } catch (error) {
    throw new DamagedObjectError(name, error instanceof Error ? error.message : 'unreadable key slot', { cause: error });
  }
}

/** The key slot in `bytes`, or undefined if it is not one within `bounds`. */
function parseSlotOrUndefined(bytes: Uint8Array, bounds: SlotBounds): KeySlot | undefined {
  try {
    return parseKeySlot(JSON.parse(decoder.decode(bytes)), bounds);
  } catch {
    return undefined;
  }
}

export function resolvePrefix(ids: string[], prefix: string, what: string): string {
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
    throw new EngineError('INVALID_ARGUMENT', `not a ${what} id: ${JSON.stringify(prefix)} (expected at least 4 hex digits)`);
  }
  const matches = ids.filter((id) => id.startsWith(prefix));
  if (matches.length === 0) throw new EngineError('NOT_FOUND', `no ${what} ${prefix}`);
  if (matches.length > 1) throw new EngineError('INVALID_ARGUMENT', `${what} id ${prefix} is ambiguous (${matches.length} match); give more digits`);
  return matches[0] as string;
}
