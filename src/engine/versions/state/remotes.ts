// The remotes this repository syncs with on this machine: the `remotes` of
// this machine's state file (state-file.ts; what a remote is:
// sync/remote-location.ts).

import type { RemoteConfig } from '../../sync/remote-location';
import type { StateFileHandle } from '../state-file';

export class Remotes {
  constructor(private readonly file: StateFileHandle) {}

  /** The remotes, in the order added (copies). */
  list(): RemoteConfig[] {
    return (this.file.data.remotes ?? []).map((r) => ({ ...r }));
  }

  /** Replaces the list of remotes. */
  async set(remotes: RemoteConfig[]): Promise<void> {
    this.file.data.remotes = remotes;
    await this.file.save();
  }
}
