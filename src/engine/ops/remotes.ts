// Remotes, sync and clone, as every host does them: this machine's remotes of
// a repository (added once checked, listed, forgotten), one sync with one of
// them, and a new device set up from a remote alone. Remotes are this
// machine's state, kept outside the sealed objects, and sync copies objects
// sealed as they are: neither needs the passphrase, so these take either an
// unlocked Session (the app: its loaded state, so the rest of it sees the
// change) or a repository location (`strata remote`, `strata sync`).

import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors';
import { guardRemoteFolder } from '../fs/repository-guard';
import { objectNames } from '../repo/format';
import { backendFor, initLocalStoreAt, localPath, localRepositoryExists } from '../repo/location';
import { assertRepository, Repository } from '../repo/repository';
import type { Backend } from '../storage/backend';
import { ThrottledBackend } from '../storage/throttle';
import { normaliseLocation, openRemote, validateRemote, type RemoteConfig } from '../sync/remote-location';
import { syncRepositories, type SyncProgress, type SyncResult } from '../sync/replicate';
import { TierState } from '../tiers/tier-state';
import { LocalState } from '../versions/local-state';
import { NameTakenError, refusing } from './argument-error';
import type { Session } from './session';
import { prepareSettling, settlingNeeded } from './settle';

export type { RemoteConfig } from '../sync/remote-location';
export type { SyncProgress, SyncResult } from '../sync/replicate';

/** A repository whose remotes are meant: an unlocked one, or the one at a location (no passphrase needed). */
export type RepositoryAt = Session | string;

/** The directory of the repository at `at`. */
export function dirOf(at: RepositoryAt): string {
  return typeof at === 'string' ? localPath(at) : at.dir;
}

/** This machine's state of the repository: an unlocked one's (loaded once, shared), else read now. */
async function stateOf(at: RepositoryAt): Promise<LocalState> {
  return typeof at === 'string' ? LocalState.load(localPath(at)) : (await at.versions()).state;
}

export async function listRemotes(at: RepositoryAt): Promise<RemoteConfig[]> {
  return (await stateOf(at)).remotes.list();
}

/** The remote named, else the only one: INVALID_ARGUMENT when there is none, or several and none is named; NOT_FOUND for an unknown name. */
export function pickRemote(remotes: RemoteConfig[], name: string | undefined): RemoteConfig {
  if (remotes.length === 0) throw new EngineError('INVALID_ARGUMENT', 'no remote yet: add one with `strata remote add NAME --hot URL`');
  if (name === undefined) {
    if (remotes.length > 1) throw new EngineError('INVALID_ARGUMENT', `several remotes (${remotes.map((r) => r.name).join(', ')}): name the one to use`);
    return remotes[0] as RemoteConfig;
  }
  const remote = remotes.find((r) => r.name === name);
  if (!remote) throw new EngineError('NOT_FOUND', `no remote named "${name}" (see \`strata remote list\`)`);
  return remote;
}

/** A folder remote (e.g. an external disk): its hot and cold tiers are two folders inside it. */
export function folderRemote(name: string, folder: string): RemoteConfig {
  return { name, hot: join(resolve(folder), 'hot'), cold: join(resolve(folder), 'cold') };
}

/** Opens a remote (making a folder remote's folders) and lists it: reachable, and listable with these credentials. */
export async function reachRemote(remote: RemoteConfig): Promise<void> {
  const backend = await openRemote(remote, { create: true });
  try {
    for await (const info of backend.list('keys/')) void info;
  } finally {
    await backend.close();
  }
}

export interface AddRemoteOptions {
  /** Reaches the remote after the checks, before it is kept (reachRemote, or the host's wrapper of it; opening a folder remote creates it). */
  reach?: (remote: RemoteConfig) => Promise<void>;
}

/** The folder a remote location names on this machine (a file URL or a path), else undefined (S3). */
export function remoteFolder(url: string): string | undefined {
  const location = normaliseLocation(url);
  return location.startsWith('file://') ? fileURLToPath(location) : undefined;
}

/**
 * Adds a remote to the repository at `at`, as both hosts do: checked (its
 * name free; a folder remote outside the repository, through any link, since
 * a sync would copy the repository into itself), then reached if asked, then
 * kept; nothing is made on disk before the checks pass. Throws
 * INVALID_ARGUMENT for a bad name or URL (an ArgumentError naming 'name',
 * 'hot' or 'cold'), a name in use (NameTakenError), or a folder that is the
 * repository or inside it (RepositoryOverlapError, naming the folder).
 */
export async function addRemote(at: RepositoryAt, given: RemoteConfig, options: AddRemoteOptions = {}): Promise<RemoteConfig> {
  const state = await stateOf(at);
  const remote = checkedRemote(given);
  if (state.remotes.list().some((r) => r.name === remote.name)) throw new NameTakenError(remote.name, `a remote named "${remote.name}" exists; remove it first`);
  for (const url of [remote.hot, remote.cold]) {
    const folder = url === undefined ? undefined : remoteFolder(url);
    if (folder !== undefined) await guardRemoteFolder(folder, dirOf(at));
  }
  await options.reach?.(remote);
  await state.remotes.set([...state.remotes.list(), remote]);
  return remote;
}

/** validateRemote, part by part (the name first, as it checks it), each refusal naming its part. */
function checkedRemote(given: RemoteConfig): RemoteConfig {
  // With a location that is surely valid, validateRemote checks the name alone.
  const { name } = refusing('name', () => validateRemote({ name: given.name, hot: 'file:///' }));
  const hot = refusing('hot', () => normaliseLocation(given.hot));
  const cold = given.cold ? refusing('cold', () => normaliseLocation(given.cold as string)) : undefined;
  return { name, hot, ...(cold !== undefined ? { cold } : {}) };
}

/** Forgets a remote (nothing is deleted there); NOT_FOUND if there is none of that name. */
export async function removeRemote(at: RepositoryAt, name: string): Promise<void> {
  const state = await stateOf(at);
  pickRemote(state.remotes.list(), name);
  await state.remotes.set(state.remotes.list().filter((r) => r.name !== name));
}

/** A sync's transfers, and who is told how they go. */
export interface TransferOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
  /** A bandwidth limit, bytes per second. */
  bytesPerSecond?: number;
}

export interface SyncOnceOptions extends TransferOptions {
  /** Copy to the remote what it lacks (default true), and from it what this machine lacks (default true). */
  upload?: boolean;
  download?: boolean;
  /** Told, in one line, what opening set right (a damaged tier state moved aside). */
  onNotice?: (message: string) => void;
}

export interface SyncOnceResult extends SyncResult {
  remote: RemoteConfig;
  /** The remote's location as its strays are named (`strays` with side 'remote'). */
  remoteLocation: string;
  /** Other devices' versions are here that are not in the folders yet: settle them (ops/settle.ts). */
  unsettled: boolean;
}

async function openTransfer(remote: RemoteConfig, options: TransferOptions, create: boolean): Promise<Backend> {
  const opened = await openRemote(remote, { create });
  return options.bytesPerSecond ? new ThrottledBackend(opened, { bytesPerSecond: options.bytesPerSecond }) : opened;
}

function transfer(options: TransferOptions): Pick<TransferOptions, 'signal' | 'onProgress'> {
  return { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
}

/**
 * One sync of the repository at `at` with its remote named (else the only
 * one): what either side lacks is copied, except packs evicted here (the
 * remote holds them). Files that are not objects are not copied: they are
 * in `strays`. Settling other devices' versions into the folders afterwards
 * is the caller's (`unsettled` says whether there is anything to settle), as
 * it needs the passphrase and sync does not.
 */
export async function syncOnce(at: RepositoryAt, remoteName: string | undefined, options: SyncOnceOptions = {}): Promise<SyncOnceResult> {
  const state = await stateOf(at);
  const remote = pickRemote(state.remotes.list(), remoteName);
  const atLocation = typeof at === 'string';
  const tierState = atLocation ? await TierState.load(dirOf(at), options.onNotice) : at.view?.tierState;
  // Objects are copied sealed as they are: a location needs no passphrase, only its plain store.
  const local = atLocation ? backendFor(at) : at.store;
  try {
    const backend = await openTransfer(remote, options, true);
    try {
      // A machine whose state predates settling counts the batches it has as settled, so those this sync brings are the ones to settle (a session's state is ready: nothing to do).
      await prepareSettling(state, local);
      const result = await syncRepositories(local, backend, {
        ...transfer(options),
        upload: options.upload ?? true,
        download: options.download ?? true,
        ...(tierState ? { skipDownload: (name: string) => tierState.isEvicted(name) } : {}),
      });
      return { ...result, remote, remoteLocation: backend.location, unsettled: await settlingNeeded(state, local) };
    } finally {
      await backend.close();
    }
  } finally {
    if (atLocation) await local.close();
  }
}

export interface CloneOptions extends TransferOptions {
  /** The remote's cold URL, if it has its own. */
  cold?: string;
  /** The remote's name in the new repository (default "origin"). */
  name?: string;
}

export interface CloneResult {
  /** The new repository's directory. */
  repository: string;
  remote: RemoteConfig;
  /** A clone begun there earlier was continued. */
  continued: boolean;
  /** The remote was recorded there already (by an earlier clone that got this far); else it was added. */
  recorded: boolean;
  sync: SyncResult;
  /** The remote's location as its strays are named. */
  remoteLocation: string;
}

/**
 * Whether `dir` holds a clone of `remote` begun earlier (stopped once its
 * config had arrived): the same config, so the same repository. Cloning again
 * continues it, downloading the rest. A repository there that is another one,
 * or one whose remote of this name is elsewhere, is refused: nothing of it is
 * touched.
 */
async function earlierClone(dir: string, remote: Backend, config: RemoteConfig): Promise<boolean> {
  if (!(await localRepositoryExists(dir))) return false;
  const local = backendFor(dir);
  try {
    const [here, there] = await Promise.all([local.get(objectNames.config), remote.get(objectNames.config)]);
    if (Buffer.compare(here, there) !== 0) {
      throw new EngineError('REPO_EXISTS', `a repository already exists at ${dir}, and it is not the one at ${config.hot}: clone into another place (--repo DIR)`);
    }
  } finally {
    await local.close();
  }
  const named = (await LocalState.load(dir)).remotes.list().find((r) => r.name === config.name);
  if (named && (named.hot !== config.hot || named.cold !== config.cold)) {
    throw new EngineError('REPO_EXISTS', `a clone of this repository exists at ${dir} with its remote "${config.name}" at ${named.hot}: run \`strata sync ${config.name}\` there, or clone with another --name`);
  }
  return true;
}

/**
 * Sets up this machine from a remote alone: a new local repository at
 * `location` (a new device) with everything the remote holds, and the remote
 * kept under its name. `url` is the remote's (hot) URL, or a folder made as a
 * folder remote (its hot and cold parts are used). The remote is checked
 * first (a wrong URL, or a remote a sync stopped early, is NO_REPOSITORY
 * before the passphrase is asked for), then the passphrase must open it
 * before anything is downloaded. A clone stopped earlier is continued.
 */
export async function clone(url: string, location: string, passphrase: string | (() => Promise<string>), options: CloneOptions = {}): Promise<CloneResult> {
  const dir = localPath(location);
  const name = options.name ?? 'origin';
  let given: RemoteConfig = { name, hot: url, ...(options.cold ? { cold: options.cold } : {}) };
  const folder = remoteFolder(url);
  if (folder !== undefined && !options.cold && (await localRepositoryExists(join(folder, 'hot'))) && !(await localRepositoryExists(folder))) {
    given = folderRemote(name, folder);
  }
  const config = validateRemote(given);
  const backend = await openTransfer(config, options, false);
  try {
    await assertRepository(backend);
    const continued = await earlierClone(dir, backend, config);
    // The passphrase must open the remote before anything is downloaded: a wrong one leaves nothing behind.
    await Repository.open(backend, typeof passphrase === 'string' ? passphrase : await passphrase());
    const local = continued ? backendFor(dir) : await initLocalStoreAt(dir);
    try {
      const sync = await syncRepositories(local, backend, { ...transfer(options), upload: false, download: true });
      const state = await LocalState.load(dir);
      const recorded = state.remotes.list().some((r) => r.name === config.name);
      if (!recorded) await state.remotes.set([...state.remotes.list(), config]);
      return { repository: resolve(dir), remote: config, continued, recorded, sync, remoteLocation: backend.location };
    } finally {
      await local.close();
    }
  } finally {
    await backend.close();
  }
}
