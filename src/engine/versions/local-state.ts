// Per-machine state of a local repository, kept in `<repository>/local/`
// beside the objects but never one of them (never synced, never encrypted:
// it names places on this disk). It holds this device's id, where each
// tracked folder lives on this machine, the author to record, and the last
// batch number written. Written atomically (temporary file, fsync, rename).

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EngineError } from '../errors';
import type { RemoteConfig } from '../sync/remote-location';
import { DEVICE_ID } from './records';

export interface TrackedFolder {
  id: string;
  name: string;
  /** Absolute path on this machine. */
  path: string;
  /** False once removed: history stays, the folder is no longer scanned or watched. */
  tracked: boolean;
  /**
   * False for a folder adopted from history (tracked on another device) until
   * this machine has scanned it once: files missing here then are not yet
   * here, not deleted.
   */
  observed?: boolean;
}

interface StateFile {
  format: 1;
  device: string;
  /** The repository path the device id was made for: a copied repository gets a new device. */
  repositoryPath: string;
  lastSeq: number;
  author?: string;
  folders: TrackedFolder[];
  /**
   * Files whose metadata changed but not their content (a touch, a copy back):
   * their new stat, so the next scan does not read them again. By folder id, then path.
   */
  seen?: Record<string, Record<string, StatKey>>;
  /** Remotes of this repository on this machine (sync/remote-location.ts). */
  remotes?: RemoteConfig[];
}

/** size, mtimeMs, ctimeMs, inode: what tells an unchanged file without reading it. */
export type StatKey = [number, number, number, number];

const STATE_FORMAT = 1;

export class LocalState {
  private constructor(private readonly dir: string, private state: StateFile) {}

  /** Loads (or creates) the state of the local repository at `repositoryDir`. */
  static async load(repositoryDir: string): Promise<LocalState> {
    const root = resolve(repositoryDir);
    const dir = join(root, 'local');
    let state: StateFile | undefined;
    try {
      state = parseState(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') {
        if (error instanceof EngineError) throw error;
        throw new EngineError('DAMAGED', `cannot read ${join(dir, 'state.json')}: ${(error as Error).message}`);
      }
    }
    // A copied repository keeps this machine's settings but becomes a device of its own.
    const fresh = (): StateFile => ({ folders: [], ...state, format: STATE_FORMAT, device: newDeviceId(), repositoryPath: root, lastSeq: 0 });
    const local = new LocalState(dir, state && state.repositoryPath === root ? state : fresh());
    if (!state || state.repositoryPath !== root) await local.save();
    return local;
  }

  get device(): string {
    return this.state.device;
  }

  get author(): string | undefined {
    return this.state.author;
  }

  folders(): TrackedFolder[] {
    return this.state.folders.map((f) => ({ ...f }));
  }

  seen(folder: string, path: string): StatKey | undefined {
    return this.state.seen?.[folder]?.[path];
  }

  /** Replaces a folder's seen entries (after a scan). */
  async setSeen(folder: string, entries: Record<string, StatKey>): Promise<void> {
    const seen = { ...(this.state.seen ?? {}) };
    if (Object.keys(entries).length === 0) delete seen[folder];
    else seen[folder] = entries;
    this.state.seen = seen;
    await this.save();
  }

  remotes(): RemoteConfig[] {
    return (this.state.remotes ?? []).map((r) => ({ ...r }));
  }

  async setRemotes(remotes: RemoteConfig[]): Promise<void> {
    this.state.remotes = remotes;
    await this.save();
  }

  async setAuthor(author: string): Promise<void> {
    this.state.author = author;
    await this.save();
  }

  async addFolder(folder: TrackedFolder): Promise<void> {
    this.state.folders = [...this.state.folders.filter((f) => f.id !== folder.id), folder];
    await this.save();
  }

  async setObserved(id: string): Promise<void> {
    if (!this.state.folders.some((f) => f.id === id && f.observed === false)) return;
    this.state.folders = this.state.folders.map((f) => (f.id === id ? { ...f, observed: true } : f));
    await this.save();
  }

  async setTracked(id: string, tracked: boolean): Promise<void> {
    this.state.folders = this.state.folders.map((f) => (f.id === id ? { ...f, tracked } : f));
    await this.save();
  }

  /** Reserves the next batch number of this device (persisted first, so a crash never reuses one). */
  async nextSeq(atLeast = 0): Promise<number> {
    this.state.lastSeq = Math.max(this.state.lastSeq, atLeast) + 1;
    await this.save();
    return this.state.lastSeq;
  }

  /** Another device already wrote under this id (a copied repository): take a new id. */
  async renewDevice(): Promise<void> {
    this.state.device = newDeviceId();
    this.state.lastSeq = 0;
    await this.save();
  }

  private async save(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = join(this.dir, 'state.json');
    const temp = `${target}.${randomBytes(6).toString('hex')}~`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(this.state, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

function newDeviceId(): string {
  return randomBytes(8).toString('hex');
}

function parseState(value: unknown): StateFile {
  const s = value as Partial<StateFile> | null;
  const bad = (why: string): never => {
    throw new EngineError('DAMAGED', `local state is damaged (${why}); move local/state.json aside to start it anew`);
  };
  if (typeof s !== 'object' || s === null || s.format !== STATE_FORMAT) return bad('unknown format');
  if (typeof s.device !== 'string' || !DEVICE_ID.test(s.device)) return bad('device id');
  if (typeof s.repositoryPath !== 'string' || !Number.isSafeInteger(s.lastSeq) || (s.lastSeq ?? -1) < 0) return bad('repository path or batch number');
  if (s.author !== undefined && typeof s.author !== 'string') return bad('author');
  if (s.remotes !== undefined && !(Array.isArray(s.remotes) && s.remotes.every((r) => typeof r?.name === 'string' && typeof r.hot === 'string' && (r.cold === undefined || typeof r.cold === 'string')))) return bad('remotes');
  if (!Array.isArray(s.folders) || !s.folders.every((f) => typeof f?.id === 'string' && typeof f.name === 'string' && typeof f.path === 'string' && typeof f.tracked === 'boolean')) return bad('folders');
  return s as StateFile;
}
