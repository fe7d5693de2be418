// From a repository location (a local directory for now; remotes come with the
// sync layer) to a backend and an opened repository.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { KdfParams } from '../crypto/kdf';
import { EngineError } from '../errors';
import type { Backend } from '../storage/backend';
import { LocalBackend } from '../storage/local';
import { Repository, type InitOptions } from './repository';

/** The local directory of a repository location. */
export function localPath(location: string): string {
  if (location.trim() === '') throw new EngineError('INVALID_ARGUMENT', 'no repository given: use --repo DIR or set STRATA_REPO');
  return resolve(location.startsWith('file://') ? new URL(location).pathname : location);
}

export function backendFor(location: string): Backend {
  return new LocalBackend(localPath(location));
}

export async function localRepositoryExists(path: string): Promise<boolean> {
  try {
    await stat(resolve(path, 'config'));
    return true;
  } catch {
    return false;
  }
}

export async function initRepositoryAt(location: string, passphrase: string, options: InitOptions = {}): Promise<Repository> {
  return Repository.init(await LocalBackend.create(localPath(location)), passphrase, options);
}

/** An empty local store at `location` to clone into; refuses a location that holds a repository. */
export async function initLocalStoreAt(location: string): Promise<Backend> {
  const path = localPath(location);
  if (await localRepositoryExists(path)) throw new EngineError('REPO_EXISTS', `a repository already exists at ${path}`);
  return LocalBackend.create(path);
}

export async function openRepositoryAt(location: string, passphrase: string): Promise<Repository> {
  return Repository.open(backendFor(location), passphrase);
}

export type { KdfParams };
