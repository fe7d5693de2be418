// The repository: opening and creating it, its keys, its encrypted objects
// (config, index, snapshots) and reading blobs out of packs. Writing blobs is
// BlobStore's job (blob-store.ts); walking trees is the snapshot layer's.

import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { gearTable } from '../chunk/gear';
import { DEFAULT_CHUNKER_PARAMS, FastCdc, type ChunkerParams } from '../chunk/fastcdc';
import { innerKeyAndNonce, NONCE_LENGTH, open, seal } from '../crypto/aead';
import { blobWorkers, type OpenItem } from '../workers/blob-workers';
import { ContentIdHasher } from '../crypto/content-id';
import type { KdfParams } from '../crypto/kdf';
import {
  createKeySlot,
  generateMasterKeys,
  openKeySlot,
  parseKeySlot,
  WrongPassphraseError,
  type KeySlot,
  type MasterKeys,
} from '../crypto/keyslot';
import { DamagedObjectError, EngineError } from '../errors';
import { NotFoundError, type Backend } from '../storage/backend';
import { ChunkIndex, type IndexedBlob } from './chunk-index';
import { validateConfig, type RepoConfig } from './config';
import { blobAd, blobTypeName, contentIdDomain, idOfName, objectAd, objectNames, toHex } from './format';
import { decodeIndex, encodeIndex, type PackEntries } from './index-file';

export interface InitOptions {
  kdf?: KdfParams;
  chunker?: ChunkerParams;
  packSize?: number;
}

export interface KeyInfo {
  id: string;
  created: string;
  host: string;
  user: string;
  current: boolean;
}

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
    const slot = await createKeySlot(keys, passphrase, slotOptions(options.kdf));
    const keyId = randomId();
    await backend.put(objectNames.key(keyId), encoder.encode(JSON.stringify(slot, null, 2)), { ifNotExists: true });
    const sealed = seal(keys.encryption, encoder.encode(JSON.stringify(config)), objectAd('config', 'config'));
    await backend.put(objectNames.config, sealed, { ifNotExists: true });
    return new Repository(backend, config, keys, keyId);
  }

  /** Opens a repository with a passphrase; tries every key slot. */
  static async open(backend: Backend, passphrase: string): Promise<Repository> {
    let sealedConfig: Uint8Array;
    try {
      sealedConfig = await backend.get(objectNames.config);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new EngineError('NO_REPOSITORY', `no repository at ${backend.location} (run \`strata init\` first)`);
      }
      throw error;
    }
    const slots = await listNames(backend, objectNames.keyPrefix);
    let unreadable = 0;
    for (const name of slots) {
      let slot: KeySlot;
      try {
        slot = await readSlot(backend, name);
      } catch (error) {
        // A damaged or planted key file must not lock the owner out: try the others.
        if (!(error instanceof DamagedObjectError)) throw error;
        unreadable++;
        continue;
      }
      let keys: MasterKeys;
      try {
        keys = await openKeySlot(slot, passphrase);
      } catch (error) {
        if (error instanceof WrongPassphraseError) continue;
        throw error;
      }
      let config: RepoConfig;
      try {
        const plain = open(keys.encryption, sealedConfig, objectAd('config', 'config'));
        config = validateConfig(JSON.parse(decoder.decode(plain)));
      } catch (error) {
        throw new DamagedObjectError(objectNames.config, error instanceof Error ? error.message : 'unreadable', { cause: error });
      }
      return new Repository(backend, config, keys, idOfName(name));
    }
    if (unreadable > 0 && unreadable === slots.length) {
      throw new DamagedObjectError(objectNames.keyPrefix, 'no key slot is readable');
    }
    throw new EngineError('WRONG_PASSPHRASE', 'wrong passphrase: it opens none of the repository\'s keys');
  }

  // ---- keys -------------------------------------------------------------

  async listKeys(): Promise<KeyInfo[]> {
    const result: KeyInfo[] = [];
    for (const name of await listNames(this.backend, objectNames.keyPrefix)) {
      const slot = await readSlot(this.backend, name);
      const id = idOfName(name);
      result.push({ id, created: slot.created, host: slot.host, user: slot.user, current: id === this.keyId });
    }
    return result.sort((a, b) => a.created.localeCompare(b.created));
  }

  async addKey(passphrase: string, kdf?: KdfParams): Promise<string> {
    const slot = await createKeySlot(this.keys, passphrase, slotOptions(kdf));
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

  /** Replaces the current key slot's passphrase: adds a new slot, then removes the old one. */
  async changePassphrase(passphrase: string, kdf?: KdfParams): Promise<string> {
    const id = await this.addKey(passphrase, kdf);
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
    for (const name of await listNames(this.backend, objectNames.indexPrefix)) {
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
    const sealed = await this.backend.getRange(objectNames.pack(entry.pack), entry.offset, entry.length);
    const [opened] = await this.openBlobs([entry], sealed, entry.offset, { verify: false, keep: true });
    if (opened?.error) throw opened.error;
    if (!opened?.plain) throw new DamagedObjectError(objectNames.pack(entry.pack), `blob ${toHex(id)} could not be opened`);
    return opened.plain;
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
    return (await listNames(this.backend, objectNames.snapshotPrefix)).map(idOfName);
  }

  /** Resolves a snapshot id, a unique prefix of one (≥ 4 hex digits). */
  async resolveSnapshotId(idOrPrefix: string): Promise<string> {
    return resolvePrefix(await this.snapshotIds(), idOrPrefix, 'snapshot');
  }
}

function slotOptions(kdf: KdfParams | undefined): { kdf?: KdfParams; host: string; user: string } {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return kdf ? { kdf, host: hostname(), user } : { host: hostname(), user };
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

export async function listNames(backend: Backend, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const info of backend.list(prefix)) names.push(info.name);
  return names.sort();
}

async function readSlot(backend: Backend, name: string): Promise<KeySlot> {
  const bytes = await backend.get(name);
  try {
    return parseKeySlot(JSON.parse(decoder.decode(bytes)));
  } catch (error) {
    throw new DamagedObjectError(name, error instanceof Error ? error.message : 'unreadable key slot', { cause: error });
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
