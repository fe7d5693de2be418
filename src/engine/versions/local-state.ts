// Per-machine state of a local repository, kept in `state.json` in this
// machine's state folder of the repository (fs/state-home.ts: outside the
// repository folder, since it names places on this disk in plaintext; never
// synced). It holds this device's id, where each tracked folder lives on this
// machine, the author to record, the last batch number written, and which of
// other devices' versions its folders hold. Written atomically (temporary
// file, fsync, rename).

import type { Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { machineStateDir } from '../fs/state-home';
import type { RemoteConfig } from '../sync/remote-location';
import type { DiskView } from './history';
import { DEVICE_ID } from './records';

export interface TrackedFolder {
  id: string;
  name: string;
  /** Absolute path on this machine. */
  path: string;
  /** False once removed: history stays, the folder is no longer scanned or watched. */
  tracked: boolean;
  /**
   * False for a folder adopted from history (tracked on another device, added
   * here by its name) until the user confirms its deletions (`scan
   * --confirm-deletions`) or a full restore of it ran: it may hold only some
   * of its files, and those missing here are not here yet, not deleted.
   * (Scanning it does not change this: a partial copy stays partial.)
   */
  observed?: boolean;
  /** Watching paused (the app): saves are not recorded until resumed; explicit operations still work. */
  paused?: boolean;
}

interface StateFile {
  format: 1;
  device: string;
  /** The repository path the device id was made for: a copied repository gets a new device. */
  repositoryPath: string;
  lastSeq: number;
  /**
   * The last batch this device stored (lastSeq is reserved first, so it may
   * never have been written): if that batch is not in the repository, it was
   * lost (history.ts). Kept with its device: a new device id has written none.
   */
  written?: { device: string; seq: number };
  author?: string;
  folders: TrackedFolder[];
  /**
   * Files whose metadata changed but not their content (a touch, a copy back):
   * their new stat, so the next scan does not read them again. By folder id, then path.
   */
  seen?: Record<string, Record<string, StatKey>>;
  /** Remotes of this repository on this machine (sync/remote-location.ts). */
  remotes?: RemoteConfig[];
  /**
   * Other devices' batches whose versions are in place in this machine's
   * folders: the highest batch number applied, by device (merge.ts).
   * Absent in older state: then every batch present at the next open.
   */
  applied?: Record<string, number>;
  /** Files held back at an older version than `applied` says (reconcile could not put them in place): the version held (a record ref), or null for none. */
  holding?: Record<string, string | null>;
}

/** size, mtimeMs, ctimeMs, inode: what tells an unchanged file without reading it. */
export type StatKey = [number, number, number, number];

export function statKey(st: Stats): StatKey {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

/** Whether two stat keys are the same (undefined: none known). */
export function sameKey(a: StatKey, b: StatKey | undefined): boolean {
  return b !== undefined && a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

const STATE_FORMAT = 1;

export class LocalState {
  private constructor(private readonly dir: string, private state: StateFile) {}

  /** Loads (or creates) the state of the local repository at `repositoryDir`. */
  static async load(repositoryDir: string): Promise<LocalState> {
    const root = resolve(repositoryDir);
    const dir = await machineStateDir(root);
    let state: StateFile | undefined;
    try {
      state = parseState(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')), join(dir, 'state.json'));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') {
        if (error instanceof EngineError) throw error;
        throw new EngineError('DAMAGED', `cannot read ${join(dir, 'state.json')}: ${(error as Error).message}`);
      }
    }
    // A copied repository keeps this machine's settings but becomes a device of its own.
    const fresh = (): StateFile => ({ folders: [], ...state, ...(state ? inherited(state) : {}), format: STATE_FORMAT, device: newDeviceId(), repositoryPath: root, lastSeq: 0 });
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

  /** Adds seen entries for files put in place here (so the next scan does not read them). */
  async addSeen(entries: Map<string, Record<string, StatKey>>): Promise<void> {
    if (entries.size === 0) return;
    const seen = { ...(this.state.seen ?? {}) };
    for (const [folder, add] of entries) seen[folder] = { ...(seen[folder] ?? {}), ...add };
    this.state.seen = seen;
    await this.save();
  }

  /** What this machine's folders hold of the history (see `applied` and `holding`). */
  diskView(): DiskView {
    return { device: this.state.device, ...(this.state.applied ? { applied: { ...this.state.applied } } : {}), ...(this.state.holding ? { holding: { ...this.state.holding } } : {}) };
  }

  /** Records that the folders now hold every version up to `applied`, except the files in `holding`. */
  async setApplied(applied: Record<string, number>, holding: Record<string, string | null>): Promise<void> {
    this.state.applied = { ...applied };
    if (Object.keys(holding).length > 0) this.state.holding = { ...holding };
    else delete this.state.holding;
    await this.save();
  }

  /** These files' newest versions were recorded here: no longer held back. */
  async release(files: string[]): Promise<void> {
    const holding = this.state.holding;
    const done = new Set(files);
    if (!holding || !Object.keys(holding).some((f) => done.has(f))) return;
    const rest = Object.fromEntries(Object.entries(holding).filter(([f]) => !done.has(f)));
    if (Object.keys(rest).length > 0) this.state.holding = rest;
    else delete this.state.holding;
    await this.save();
  }

  /** These files are on disk at an older version (a record ref each) than `applied` says: settling puts their current one in place. */
  async hold(files: Record<string, string>): Promise<void> {
    if (Object.keys(files).length === 0) return;
    this.state.holding = { ...(this.state.holding ?? {}), ...files };
    await this.save();
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

  /** The folder is whole here (confirmed, or fully restored): files missing from it from now on are deletions. */
  async setObserved(id: string): Promise<void> {
    if (!this.state.folders.some((f) => f.id === id && f.observed === false)) return;
    this.state.folders = this.state.folders.map((f) => (f.id === id ? { ...f, observed: true } : f));
    await this.save();
  }

  async setPaused(id: string, paused: boolean): Promise<void> {
    this.state.folders = this.state.folders.map((f) => {
      if (f.id !== id) return f;
      const { paused: _was, ...rest } = f;
      return paused ? { ...rest, paused: true } : rest;
    });
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

  /** The number of the last batch this device stored (undefined: none known). */
  lastWritten(): number | undefined {
    const written = this.state.written;
    return written?.device === this.state.device ? written.seq : undefined;
  }

  /** Batch `seq` of this device is stored. */
  async wrote(seq: number): Promise<void> {
    if (seq <= (this.lastWritten() ?? 0)) return;
    this.state.written = { device: this.state.device, seq };
    await this.save();
  }

  /** Another device already wrote under this id (a copied repository): take a new id. */
  async renewDevice(): Promise<void> {
    Object.assign(this.state, inherited(this.state));
    this.state.device = newDeviceId();
    this.state.lastSeq = 0;
    await this.save();
  }

  private async save(): Promise<void> {
    await writeFileAtomic(join(this.dir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

/** A device taking over another's folders (a copied repository) holds that device's versions in place. */
function inherited(state: StateFile): Pick<StateFile, 'applied'> {
  return state.applied ? { applied: { ...state.applied, [state.device]: state.lastSeq } } : {};
}

function newDeviceId(): string {
  return randomBytes(8).toString('hex');
}

function parseState(value: unknown, path: string): StateFile {
  const s = value as Partial<StateFile> | null;
  const bad = (why: string): never => {
    throw new EngineError('DAMAGED', `local state is damaged (${why}); move ${path} aside to start it anew`);
  };
  if (typeof s !== 'object' || s === null || s.format !== STATE_FORMAT) return bad('unknown format');
  if (typeof s.device !== 'string' || !DEVICE_ID.test(s.device)) return bad('device id');
  if (typeof s.repositoryPath !== 'string' || !Number.isSafeInteger(s.lastSeq) || (s.lastSeq ?? -1) < 0) return bad('repository path or batch number');
  if (s.author !== undefined && typeof s.author !== 'string') return bad('author');
  if (s.written !== undefined && !(typeof s.written === 'object' && s.written !== null && typeof s.written.device === 'string' && Number.isSafeInteger(s.written.seq) && s.written.seq > 0)) return bad('last batch written');
  if (s.applied !== undefined && !(typeof s.applied === 'object' && s.applied !== null && Object.entries(s.applied).every(([d, n]) => DEVICE_ID.test(d) && Number.isSafeInteger(n)))) return bad('applied batches');
  if (s.holding !== undefined && !(typeof s.holding === 'object' && s.holding !== null && Object.values(s.holding).every((r) => r === null || typeof r === 'string'))) return bad('held files');
  if (s.remotes !== undefined && !(Array.isArray(s.remotes) && s.remotes.every((r) => typeof r?.name === 'string' && typeof r.hot === 'string' && (r.cold === undefined || typeof r.cold === 'string')))) return bad('remotes');
  if (!Array.isArray(s.folders) || !s.folders.every((f) => typeof f?.id === 'string' && typeof f.name === 'string' && typeof f.path === 'string' && typeof f.tracked === 'boolean')) return bad('folders');
  return s as StateFile;
}
