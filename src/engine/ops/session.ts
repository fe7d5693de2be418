// A Session is one unlocked repository, the one thing every operation in
// ops/ works on, whichever host calls it (the CLI, the app's service, `strata
// serve`): the Repository (opened through its LocalView, so evicted packs come
// back when read), its directory, what opening set right on the way, and, on
// first use, the version history and this machine's state (loaded lazily: a
// command that only lists snapshots neither reads every batch nor fails on
// unreadable machine state; each read once, even when the other, or the
// policy file, cannot be). Work that changes the history or the folders runs
// one task at a time through `exclusive`.

import type { ContentClassOptions } from '../files/content-class';
import { localPath } from '../repo/location';
import type { Repository } from '../repo/repository';
import type { Backend } from '../storage/backend';
import { LocalView, type LocalViewOptions } from '../tiers/local-view';
import { loadPolicy } from '../tiers/policy';
import { openLocalRepository } from '../tiers/tiers';
import { History } from '../versions/history';
import { LocalState } from '../versions/local-state';

/** What version operations read and write: the history and this machine's state of it. */
export interface Versions {
  readonly state: LocalState;
  readonly history: History;
}

export interface OpenOptions extends Partial<Pick<LocalViewOptions, 'trackReads' | 'thaw'>> {
  /** Told at once, in one line, what opening set right (a damaged tier state moved aside); also kept in `repaired`. */
  onNotice?: (message: string) => void;
}

/** `load` run on the first call and its promise kept, unless it fails: then the next call runs it again (the file may have been fixed meanwhile). */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (!loading) {
      const started = load();
      loading = started;
      started.catch(() => {
        if (loading === started) loading = undefined;
      });
    }
    return loading;
  };
}

export class Session {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly repo: Repository,
    /** What opening set right, in the engine's words: the CLI warns of it, the app logs it. */
    readonly repaired: readonly string[],
  ) {}

  /** Unlocks the local repository at `location` with `passphrase`. */
  static async open(location: string, passphrase: string, options: OpenOptions = {}): Promise<Session> {
    const dir = localPath(location);
    const repaired: string[] = [];
    const { onNotice, ...view } = options;
    const repo = await openLocalRepository(dir, passphrase, {
      ...view,
      onNotice: (message) => {
        repaired.push(message);
        onNotice?.(message);
      },
    });
    return new Session(dir, repo, repaired);
  }

  /** A session over a repository already open (tests, benchmarks, a clone just made), stored at `dir`. */
  static of(repo: Repository, dir: string = repo.backend.location): Session {
    return new Session(dir, repo, []);
  }

  /** The repository id (its config's). */
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

  /** This machine's state of the repository, read once (`versions()` readies it for settling). */
  readonly localState = once(() => LocalState.load(this.dir));

  /** The version history, every batch read once (`check` reads it so, without this machine's state). */
  readonly history = once(() => History.load(this.repo));

  /**
   * The version history and this machine's state, loaded once. State from
   * before other devices' versions were settled here counts what is present
   * as in place (as it did then).
   */
  readonly versions = once(async (): Promise<Versions> => {
    const [state, history] = await Promise.all([this.localState(), this.history()]);
    if (!state.settled.view().applied) await state.settled.setApplied(history.lastSeqs(), {});
    return { state, history };
  });

  /** The policy file's notion of media, read when a scan first needs it (a damaged policy file stops scans, not reading history). */
  private readonly policyMedia = once(async () => (await loadPolicy(this.dir)).media);
  private mediaSet: { value: ContentClassOptions | undefined } | undefined;

  /** What counts as media: the pack lane of new chunks. */
  media(): Promise<ContentClassOptions | undefined> {
    return this.mediaSet ? Promise.resolve(this.mediaSet.value) : this.policyMedia();
  }

  /** The policy changed: new chunks go by its notion of media from now on. */
  setMedia(media: ContentClassOptions | undefined): void {
    this.mediaSet = { value: media };
  }

  /** Runs `task` after the tasks before it (never two at once). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Waits for the work queued, then closes the repository's backend (saving what reads taught the tier state). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.repo.backend.close();
  }
}
