// Where each tracked folder lives on this machine, and whether it is tracked,
// whole here (observed) and watched (not paused): the `folders` of this
// machine's state file (state-file.ts).

import type { StateFileHandle } from '../state-file';

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

export class FolderPlaces {
  constructor(private readonly file: StateFileHandle) {}

  /** Every folder known here, removed ones too (copies: change them through this class). */
  list(): TrackedFolder[] {
    return this.file.data.folders.map((f) => ({ ...f }));
  }

  /** Adds the folder, or replaces the one with its id. */
  async add(folder: TrackedFolder): Promise<void> {
    this.file.data.folders = [...this.file.data.folders.filter((f) => f.id !== folder.id), folder];
    await this.file.save();
  }

  /** The folder is whole here (confirmed, or fully restored): files missing from it from now on are deletions. */
  async setObserved(id: string): Promise<void> {
    if (!this.file.data.folders.some((f) => f.id === id && f.observed === false)) return;
    this.file.data.folders = this.file.data.folders.map((f) => (f.id === id ? { ...f, observed: true } : f));
    await this.file.save();
  }

  async setPaused(id: string, paused: boolean): Promise<void> {
    this.file.data.folders = this.file.data.folders.map((f) => {
      if (f.id !== id) return f;
      const { paused: _was, ...rest } = f;
      return paused ? { ...rest, paused: true } : rest;
    });
    await this.file.save();
  }

  async setTracked(id: string, tracked: boolean): Promise<void> {
    this.file.data.folders = this.file.data.folders.map((f) => (f.id === id ? { ...f, tracked } : f));
    await this.file.save();
  }
}
