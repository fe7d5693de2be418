// This machine's state file of a local repository: `state.json` in the
// repository's machine state folder (fs/state-home.ts: outside the repository
// folder, since it names places on this disk in plaintext; never synced;
// docs/format.md 2.3). Owns the file's format (with the shapes it stores:
// TrackedFolder, StatKey) and its validation, loading it
// (a fresh state for a new or copied repository), and its one writer: the
// facets of LocalState (state/*) share the one StateFile in memory and save
// it whole, atomically (temporary file, fsync, rename).

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { machineStateDir } from '../fs/state-home';
import type { RemoteConfig } from '../sync/remote-location';
import { DEVICE_ID } from './records';

/** A folder as this machine's state file records it (changed through state/folders.ts). */
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

/** size, mtimeMs, ctimeMs, inode: what tells an unchanged file without reading it (state/seen.ts). */
export type StatKey = [number, number, number, number];

export interface StateFile {
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

const STATE_FORMAT = 1;

/** The loaded state file: its content, shared by the facets that each change their slice of it, and its one writer. */
export class StateFileHandle {
  constructor(private readonly path: string, readonly data: StateFile) {}

  /** Writes the whole state (every facet's slice) atomically. */
  async save(): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(this.data, null, 2)}\n`);
  }
}

/** Loads (or creates) the state file of the local repository at `repositoryDir`. */
export async function loadStateFile(repositoryDir: string): Promise<StateFileHandle> {
  const root = resolve(repositoryDir);
  const path = join(await machineStateDir(root), 'state.json');
  let state: StateFile | undefined;
  try {
    state = parseState(JSON.parse(await readFile(path, 'utf8')), path);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') {
      if (error instanceof EngineError) throw error;
      throw new EngineError('DAMAGED', `cannot read ${path}: ${(error as Error).message}`);
    }
  }
  // A copied repository keeps this machine's settings but becomes a device of its own.
  const fresh = (): StateFile => ({ folders: [], ...state, ...(state ? inherited(state) : {}), format: STATE_FORMAT, device: newDeviceId(), repositoryPath: root, lastSeq: 0 });
  const file = new StateFileHandle(path, state && state.repositoryPath === root ? state : fresh());
  if (!state || state.repositoryPath !== root) await file.save();
  return file;
}

/** Another device already wrote under this state's id (a copied repository): gives it a new id, which takes the old one's place (not saved). */
export function becomeNewDevice(state: StateFile): void {
  Object.assign(state, inherited(state));
  state.device = newDeviceId();
  state.lastSeq = 0;
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
