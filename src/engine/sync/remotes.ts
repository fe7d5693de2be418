// Adding a remote to this machine's state of a repository, as both hosts do
// it (`strata remote add`, the app's settings): the remote checked (its name
// free; a folder remote outside the repository, through any link, since a
// sync would copy the repository into itself), then reached if the caller
// asks, then kept. One function, so the CLI and the app check the same
// things, once, in the same order: nothing is made on disk (reaching a folder
// remote creates it) before the checks pass.

import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors';
import { guardRemoteFolder } from '../fs/repository-guard';
import type { RemoteConfig } from './remote-location';
import { validateRemote } from './remote-location';

/** This machine's remotes of one repository (versions/local-state.ts). */
export interface RemoteList {
  remotes(): RemoteConfig[];
  setRemotes(remotes: RemoteConfig[]): Promise<void>;
}

export interface AddRemoteOptions {
  /** Reaches the remote (opening it makes a folder remote's folders) after the checks, before it is kept. */
  reach?: (remote: RemoteConfig) => Promise<void>;
}

/**
 * Adds `given` to the remotes of the repository at `repositoryDir`. Throws
 * INVALID_ARGUMENT for a bad name or URL, a name in use, or a folder that is
 * the repository or inside it (RepositoryOverlapError, naming the folder).
 */
export async function addRemote(repositoryDir: string, list: RemoteList, given: RemoteConfig, options: AddRemoteOptions = {}): Promise<RemoteConfig> {
  const remote = validateRemote(given);
  if (list.remotes().some((r) => r.name === remote.name)) throw new EngineError('INVALID_ARGUMENT', `a remote named "${remote.name}" exists; remove it first`);
  for (const url of [remote.hot, remote.cold]) {
    if (url?.startsWith('file://')) await guardRemoteFolder(fileURLToPath(url), repositoryDir);
  }
  await options.reach?.(remote);
  await list.setRemotes([...list.remotes(), remote]);
  return remote;
}
