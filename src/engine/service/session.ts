// The unlocked repository as the app works on it: the Repository (opened
// through its LocalView, so evicted data is fetched back when read), the
// Workspace over its history and local state, the repository's directory,
// and what opening set right on the way (for the activity log). Work that changes the history or the folders (scans, rollbacks,
// restores, tags, settling after a sync, the watcher's scans) runs one task
// at a time through `exclusive`, since it shares the history and local state.

import type { BackupResult } from '../../shared/api';
import { localPath } from '../repo/location';
import type { Repository } from '../repo/repository';
import type { Backend } from '../storage/backend';
import { LocalView } from '../tiers/local-view';
import { openLocalRepository } from '../tiers/tiers';
import { Workspace } from '../versions/workspace';
import { backup } from '../snapshot/archiver';

export class Session {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly repo: Repository,
    readonly ws: Workspace,
    /** What opening set right, in the engine's words (a damaged tier state moved aside): the CLI warns of it, the app logs it. */
    readonly repaired: readonly string[],
  ) {}

  static async open(location: string, passphrase: string): Promise<Session> {
    const dir = localPath(location);
    const repaired: string[] = [];
    const repo = await openLocalRepository(dir, passphrase, { onNotice: (message) => repaired.push(message) });
    try {
      return new Session(dir, repo, await Workspace.open(repo, dir), repaired);
    } catch (error) {
      await repo.backend.close();
      throw error;
    }
  }

  /** The repository id (its config's), which the catalog keys its cursor by. */
  get id(): string {
    return this.repo.config.id;
  }

  /** The local store under the LocalView: what sync copies (evicted packs stay on the remote). */
  get store(): Backend {
    return this.repo.backend instanceof LocalView ? this.repo.backend.local : this.repo.backend;
  }

  get view(): LocalView | undefined {
    return this.repo.backend instanceof LocalView ? this.repo.backend : undefined;
  }

  /** Runs `task` after the tasks before it (never two at once). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  /**
   * Backs a folder up as a snapshot, through this repository (one at a time
   * with the other writers): its index then knows the new data, which another
   * Repository over the same store would leave it ignorant of.
   */
  backup(path: string): Promise<BackupResult> {
    return this.exclusive(() => backupFolder(this.repo, path));
  }

  /** Waits for the work queued, then closes the repository's backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.repo.backend.close();
  }
}

/** A snapshot of one folder in `repo`, as the contract reports it. */
export async function backupFolder(repo: Repository, path: string): Promise<BackupResult> {
  const result = await backup(repo, { paths: [path] });
  return { snapshot: result.id, files: result.snapshot.stats.files, bytes: result.snapshot.stats.bytes };
}
