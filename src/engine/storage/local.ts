// LocalBackend: objects as files under a root directory (`a/b/c` lives at
// `<root>/a/b/c`). Owns the crash safety of local writes (temp file, fsync,
// rename or link, fsync of the directory) and the mapping of errno codes to the
// contract's sentinel errors.
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  AlreadyExistsError,
  InvalidNameError,
  NoSpaceError,
  NotFoundError,
  UnavailableError,
  assertValidName,
  assertValidPrefix,
  type Backend,
  type ObjectInfo,
  type PutOptions,
} from './backend';
import { assertRangeWithin } from './range';

// Temp files end in '~', which is outside the object-name alphabet: a temp file
// can never collide with an object. Listing skips them (they are this
// backend's unfinished puts, not objects), and only them: files other
// programs put here are listed whatever their names, for the repository to
// report (repo/listing.ts).
const TEMP_PREFIX = '.tmp-';
const TEMP_SUFFIX = '~';
const TEMP_NAME = /^\.tmp-[0-9a-f]{16}~$/;
// Repository files are private to the user even though their content is encrypted:
// names and sizes still say something.
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
// How many stat() calls list() keeps in flight for one directory.
const STAT_BATCH = 64;

type Access = 'read' | 'write';

/** Descriptors kept open for range reads. */
const OPEN_FILES = 16;

/** A cached descriptor unused this long is closed (so none outlives its use). */
const IDLE_CLOSE_MS = 500;

interface OpenFile {
  handle: FileHandle;
  size: number;
  users: number;
  evicted: boolean;
  idle?: NodeJS.Timeout;
}

export class LocalBackend implements Backend {
  readonly location: string;
  private readonly root: string;
  /** Directories (relative, '' is the root) known to exist durably, or being made so. */
  private readonly readyDirs = new Map<string, Promise<void>>();
  private closed = false;
  private readonly openFiles = new Map<string, Promise<OpenFile>>();
  /** Test hook (crash-point.ts): called once a put's temp file is durable, before it takes the object's name. */
  afterTempWritten?: (name: string) => void;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = this.root;
  }

  /** Creates the root directory (and missing ancestors) and opens a backend on it. */
  static async create(root: string): Promise<LocalBackend> {
    await mkdir(root, { recursive: true, mode: DIR_MODE });
    return new LocalBackend(root);
  }

  async get(name: string): Promise<Uint8Array> {
    this.assertUsable(name);
    try {
      const buffer = await readFile(this.pathOf(name));
      // A plain Uint8Array, not a Buffer: Buffer.slice() returns a view, which
      // would surprise callers that slice to copy.
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw this.mapError(error, name, 'read');
    }
  }

  async getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    this.assertUsable(name);
    let entry: OpenFile | undefined;
    try {
      entry = await this.openCached(name);
      assertRangeWithin(name, offset, length, entry.size);
      // Shared memory: blob workers can then read the range without a copy.
      const bytes = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(new SharedArrayBuffer(length));
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await entry.handle.read(bytes, filled, length - filled, offset + filled);
        // Cut short since it was opened (objects never change): a range past its end, as if it had been short all along.
        if (bytesRead === 0) throw new RangeError(`range [${offset}, ${offset + length}) is past the end of ${name}: it shrank while being read`);
        filled += bytesRead;
      }
      return bytes;
    } catch (error) {
      throw this.mapError(error, name, 'read');
    } finally {
      if (entry) this.release(entry);
    }
  }

  /**
   * Range reads keep a few files open: restores and checks read many blobs
   * from the same pack, and open+fstat+close per blob costs more than the read.
   * Objects are immutable, so a cached descriptor never reads stale bytes.
   */
  private async openCached(name: string): Promise<OpenFile> {
    let pending = this.openFiles.get(name);
    if (pending) {
      // Most recently used last.
      this.openFiles.delete(name);
      this.openFiles.set(name, pending);
    } else {
      pending = (async () => {
        const handle = await open(this.pathOf(name), 'r');
        try {
          const stats = await handle.stat();
          if (!stats.isFile()) throw new NotFoundError(name, this.location);
          return { handle, size: stats.size, users: 0, evicted: false };
        } catch (error) {
          await handle.close();
          throw error;
        }
      })();
      this.openFiles.set(name, pending);
      pending.catch(() => this.openFiles.delete(name));
      while (this.openFiles.size > OPEN_FILES) {
        const oldest = this.openFiles.keys().next().value as string;
        this.evict(oldest);
      }
    }
    const entry = await pending;
    entry.users++;
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = undefined;
    return entry;
  }

  private release(entry: OpenFile): void {
    entry.users--;
    if (entry.users > 0) return;
    if (entry.evicted) {
      void entry.handle.close().catch(() => undefined);
      return;
    }
    entry.idle = setTimeout(() => {
      for (const [name, pending] of this.openFiles) {
        void pending.then((e) => {
          if (e === entry && e.users === 0) this.evict(name);
        }, () => undefined);
      }
    }, IDLE_CLOSE_MS);
    entry.idle.unref();
  }

  private evict(name: string): void {
    const pending = this.openFiles.get(name);
    if (!pending) return;
    this.openFiles.delete(name);
    void pending.then((entry) => {
      entry.evicted = true;
      if (entry.idle) clearTimeout(entry.idle);
      if (entry.users === 0) return entry.handle.close();
      return undefined;
    }).catch(() => undefined);
  }

  async put(name: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    this.assertUsable(name);
    this.evict(name); // a replaced object (a repaired pack) must not be read through an old descriptor
    const target = this.pathOf(name);
    const relativeDir = parentOf(name);
    const dir = this.pathOf(relativeDir);
    try {
      await this.ensureDir(relativeDir);
      let temp: string;
      try {
        temp = await writeDurableTemp(dir, data);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        // The directory was removed behind our back; forget what we knew and recreate it once.
        this.readyDirs.clear();
        await this.ensureDir(relativeDir);
        temp = await writeDurableTemp(dir, data);
      }
      this.afterTempWritten?.(name);
      try {
        if (options.ifNotExists) {
          // link() fails with EEXIST instead of replacing, and the temp file is
          // complete and synced, so the exclusive put is atomic too.
          await link(temp, target);
          // A leftover temp file is harmless (never listed), so a failed unlink must not fail the put.
          await unlink(temp).catch(() => undefined);
        } else {
          await rename(temp, target);
        }
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      await syncDir(dir);
    } catch (error) {
      if (options.ifNotExists && errnoCode(error) === 'EEXIST') throw new AlreadyExistsError(name);
      throw this.mapError(error, name, 'write');
    }
  }

  async head(name: string): Promise<ObjectInfo> {
    this.assertUsable(name);
    try {
      const stats = await stat(this.pathOf(name));
      if (!stats.isFile()) throw new NotFoundError(name, this.location);
      return { name, size: stats.size };
    } catch (error) {
      throw this.mapError(error, name, 'read');
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.assertOpen();
    assertValidPrefix(prefix);
    // Only the directory the prefix ends in is read, filtered by the partial
    // last segment: 'data/ab' reads data/ and descends only into entries 'ab*'.
    const slash = prefix.lastIndexOf('/');
    yield* this.walk(slash < 0 ? '' : prefix.slice(0, slash), prefix.slice(slash + 1));
  }

  async delete(name: string): Promise<void> {
    this.assertUsable(name);
    this.evict(name);
    try {
      // No directory fsync: a delete lost in a crash only leaves garbage behind,
      // which the repository tolerates (it never relies on an object being gone).
      await unlink(this.pathOf(name));
    } catch (error) {
      throw this.mapError(error, name, 'read');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const name of [...this.openFiles.keys()]) this.evict(name);
  }

  private async *walk(relativeDir: string, entryPrefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.pathOf(relativeDir), { withFileTypes: true });
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw this.mapError(error, relativeDir, 'read');
    }
    const files: string[] = [];
    for (const entry of entries) {
      if (!entry.name.startsWith(entryPrefix) || TEMP_NAME.test(entry.name)) continue;
      const name = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) yield* this.walk(name, '');
      else if (entry.isFile()) files.push(name);
    }
    for (let start = 0; start < files.length; start += STAT_BATCH) {
      const infos = await Promise.all(files.slice(start, start + STAT_BATCH).map((name) => this.statListed(name)));
      for (const info of infos) if (info) yield info;
    }
  }

  /** Size of a file found by readdir, or undefined when it was deleted since. */
  private async statListed(name: string): Promise<ObjectInfo | undefined> {
    try {
      return { name, size: (await stat(this.pathOf(name))).size };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw this.mapError(error, name, 'read');
    }
  }

  /**
   * Makes `relativeDir` exist durably: every directory below the root is
   * created if missing and its parent fsynced, once per directory per
   * instance. The parent is synced even when the directory already existed,
   * since another writer may have created it and not synced yet.
   */
  private ensureDir(relativeDir: string): Promise<void> {
    let ready = this.readyDirs.get(relativeDir);
    if (!ready) {
      ready = this.createDir(relativeDir);
      this.readyDirs.set(relativeDir, ready);
      ready.catch(() => this.readyDirs.delete(relativeDir));
    }
    return ready;
  }

  private async createDir(relativeDir: string): Promise<void> {
    if (relativeDir === '') {
      const firstCreated = await mkdir(this.root, { recursive: true, mode: DIR_MODE });
      if (firstCreated !== undefined) await syncDir(path.dirname(this.root));
      return;
    }
    const parent = parentOf(relativeDir);
    await this.ensureDir(parent);
    try {
      await mkdir(this.pathOf(relativeDir), { mode: DIR_MODE });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    await syncDir(this.pathOf(parent));
  }

  private pathOf(relativeName: string): string {
    return relativeName === '' ? this.root : path.join(this.root, ...relativeName.split('/'));
  }

  private assertUsable(name: string): void {
    this.assertOpen();
    assertValidName(name);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`backend ${this.location} is closed`);
  }

  /** Turns an fs error into the contract's sentinel errors; anything else passes through. */
  private mapError(error: unknown, name: string, access: Access): unknown {
    const code = errnoCode(error);
    if (code === undefined) return error;
    const where = this.pathOf(name);
    const detail = error instanceof Error ? error.message : String(error);
    switch (code) {
      case 'ENOENT':
      case 'ENOTDIR':
      case 'EISDIR':
        if (access === 'read') return new NotFoundError(name, this.location);
        if (code === 'ENOENT') return new UnavailableError(`cannot write ${where}: directory vanished (${detail})`, { cause: error });
        // Only the local backend has this limit: 'a' and 'a/b' cannot both be objects.
        return new Error(`cannot write ${where}: a path component is an object, or the name is a directory (${detail})`, {
          cause: error,
        });
      case 'ENOSPC':
      case 'EDQUOT':
        return new NoSpaceError(`no space left to write ${where} (${detail})`, { cause: error });
      case 'ENAMETOOLONG':
        // Valid by the contract, but a segment longer than the filesystem allows.
        return new InvalidNameError(name);
      case 'EACCES':
      case 'EPERM':
        return new UnavailableError(`permission denied: cannot ${access} ${where} (${detail})`, { cause: error });
      case 'EROFS':
        return new UnavailableError(`read-only file system: cannot ${access} ${where} (${detail})`, { cause: error });
      case 'EIO':
        return new UnavailableError(`I/O error: cannot ${access} ${where} (${detail})`, { cause: error });
      case 'EMFILE':
      case 'ENFILE':
      case 'EBUSY':
      case 'EAGAIN':
        return new UnavailableError(`temporarily unable to ${access} ${where} (${detail})`, { cause: error });
      default:
        return error;
    }
  }
}

/** Writes `data` to a new temp file in `dir` and fsyncs it; removes it again on failure. */
async function writeDurableTemp(dir: string, data: Uint8Array): Promise<string> {
  const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return temp;
}

/** Fsyncs a directory so the entries just created in it survive a power loss. */
async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals metadata instead.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems (certain network and FUSE mounts) cannot fsync a directory.
    const code = errnoCode(error);
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

function parentOf(relativeName: string): string {
  const slash = relativeName.lastIndexOf('/');
  return slash < 0 ? '' : relativeName.slice(0, slash);
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
