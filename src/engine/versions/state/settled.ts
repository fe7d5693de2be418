// Which of other devices' versions this machine's folders hold: the highest
// batch applied by device, and files held back at an older version (the
// `applied` and `holding` of this machine's state file, state-file.ts).
// Settling (merge.ts) moves it forward; a scan releases and holds files.

import type { DiskView } from '../history';
import type { StateFileHandle } from '../state-file';

export class SettledVersions {
  constructor(private readonly file: StateFileHandle) {}

  /** What this machine's folders hold of the history (see `applied` and `holding`). */
  view(): DiskView {
    const s = this.file.data;
    return { device: s.device, ...(s.applied ? { applied: { ...s.applied } } : {}), ...(s.holding ? { holding: { ...s.holding } } : {}) };
  }

  /** Records that the folders now hold every version up to `applied`, except the files in `holding`. */
  async setApplied(applied: Record<string, number>, holding: Record<string, string | null>): Promise<void> {
    const s = this.file.data;
    s.applied = { ...applied };
    if (Object.keys(holding).length > 0) s.holding = { ...holding };
    else delete s.holding;
    await this.file.save();
  }

  /** These files' newest versions were recorded here: no longer held back. */
  async release(files: string[]): Promise<void> {
    const s = this.file.data;
    const holding = s.holding;
    const done = new Set(files);
    if (!holding || !Object.keys(holding).some((f) => done.has(f))) return;
    const rest = Object.fromEntries(Object.entries(holding).filter(([f]) => !done.has(f)));
    if (Object.keys(rest).length > 0) s.holding = rest;
    else delete s.holding;
    await this.file.save();
  }

  /** These files are on disk at an older version (a record ref each) than `applied` says: settling puts their current one in place. */
  async hold(files: Record<string, string>): Promise<void> {
    if (Object.keys(files).length === 0) return;
    this.file.data.holding = { ...(this.file.data.holding ?? {}), ...files };
    await this.file.save();
  }
}
