// Files seen unchanged in content whose stat changed (a touch, a copy back)
// or that were put in place here: their stat key, so the next scan does not
// read them again. The `seen` of this machine's state file (state-file.ts),
// by folder id, then path; and a file's stat key (statKey, sameKey; the
// type is the state file's).

import type { Stats } from 'node:fs';
import type { StateFileHandle, StatKey } from '../state-file';

export type { StatKey } from '../state-file';

export function statKey(st: Stats): StatKey {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

/** Whether two stat keys are the same (undefined: none known). */
export function sameKey(a: StatKey, b: StatKey | undefined): boolean {
  return b !== undefined && a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

export class SeenFiles {
  constructor(private readonly file: StateFileHandle) {}

  /** The stat key seen for `path` of `folder` (undefined: none). */
  get(folder: string, path: string): StatKey | undefined {
    return this.file.data.seen?.[folder]?.[path];
  }

  /** Replaces a folder's entries (after a scan). */
  async replace(folder: string, entries: Record<string, StatKey>): Promise<void> {
    const seen = { ...(this.file.data.seen ?? {}) };
    if (Object.keys(entries).length === 0) delete seen[folder];
    else seen[folder] = entries;
    this.file.data.seen = seen;
    await this.file.save();
  }

  /** Adds entries for files put in place here (so the next scan does not read them), by folder id. */
  async add(entries: Map<string, Record<string, StatKey>>): Promise<void> {
    if (entries.size === 0) return;
    const seen = { ...(this.file.data.seen ?? {}) };
    for (const [folder, add] of entries) seen[folder] = { ...(seen[folder] ?? {}), ...add };
    this.file.data.seen = seen;
    await this.file.save();
  }
}
