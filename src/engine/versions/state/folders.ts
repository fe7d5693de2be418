// Where each tracked folder lives on this machine, and whether it is tracked,
// whole here (observed) and watched (not paused): the `folders` of this
// machine's state file (state-file.ts).

import type { StateFileHandle, TrackedFolder } from '../state-file';

export class FolderPlaces {
  constructor(private readonly file: StateFileHandle) {}

  /** Every folder known here, removed ones too (copies: change them through this class). */
  list(): TrackedFolder[] {
    return this.file.data.folders.map((f) => ({ ...f }));
  }

  /** The folders tracked here (not removed), paused ones too (copies, as list()). */
  tracked(): TrackedFolder[] {
    return this.list().filter((f) => f.tracked);
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
