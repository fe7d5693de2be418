// This machine's state of a local repository, as one object: the composition
// root over the state file (state-file.ts: format, loading, the one atomic
// save), with one facet per thing it records (state/*). It has no job of
// its own beyond loading them over the same file.

import { loadStateFile } from './state-file';
import { AuthorSetting } from './state/author';
import { OwnBatches } from './state/batches';
import { FolderPlaces } from './state/folders';
import { Remotes } from './state/remotes';
import { SeenFiles } from './state/seen';
import { SettledVersions } from './state/settled';

export type { TrackedFolder } from './state-file';

export class LocalState {
  private constructor(
    /** Where each tracked folder lives here, and whether it is tracked, whole and watched. */
    readonly folders: FolderPlaces,
    /** Stat keys of files known unchanged, so a scan does not read them again. */
    readonly seen: SeenFiles,
    /** Which of other devices' versions the folders hold. */
    readonly settled: SettledVersions,
    /** This device's id and batch numbering (history.ts's OwnWrites). */
    readonly batches: OwnBatches,
    /** The remotes this repository syncs with here. */
    readonly remotes: Remotes,
    /** The author set on this machine. */
    readonly author: AuthorSetting,
  ) {}

  /** Loads (or creates) the state of the local repository at `repositoryDir`. */
  static async load(repositoryDir: string): Promise<LocalState> {
    const file = await loadStateFile(repositoryDir);
    return new LocalState(new FolderPlaces(file), new SeenFiles(file), new SettledVersions(file), new OwnBatches(file), new Remotes(file), new AuthorSetting(file));
  }
}
