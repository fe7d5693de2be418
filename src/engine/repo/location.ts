// From a repository location (a local directory for now; remotes come with the
// sync layer) to a backend and an opened repository, and which key slot this
// machine opened it with last.

import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KdfParams } from '../crypto/kdf';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { findMachineStateDir, machineStateDir } from '../fs/state-home';
import type { Backend } from '../storage/backend';
import { withCrashPoint } from '../storage/crash-point';
import { LocalBackend } from '../storage/local';
import { assertRepository, Repository, type InitOptions } from './repository';

/** The local directory of a repository location. */
export function localPath(location: string): string {
  if (location.trim() === '') throw new EngineError('INVALID_ARGUMENT', 'no repository given: use --repo DIR or set STRATA_REPO');
  if (!location.startsWith('file://')) return resolve(location);
  try {
    return resolve(fileURLToPath(location)); // decodes %20 and the like, as the folder's real name
  } catch (error) {
    throw new EngineError('INVALID_ARGUMENT', `${location} is not a file URL of this machine: ${(error as Error).message}`);
  }
}

export function backendFor(location: string): Backend {
  return withCrashPoint(new LocalBackend(localPath(location)));
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
  return Repository.init(withCrashPoint(await LocalBackend.create(localPath(location))), passphrase, options);
}

/** An empty local store at `location` to clone into; refuses a location that holds a repository. */
export async function initLocalStoreAt(location: string): Promise<Backend> {
  const path = localPath(location);
  if (await localRepositoryExists(path)) throw new EngineError('REPO_EXISTS', `a repository already exists at ${path}`);
  return withCrashPoint(await LocalBackend.create(path));
}

/** Throws NO_REPOSITORY unless `location` holds a repository a passphrase could open; asks for no passphrase. */
export async function assertRepositoryAt(location: string): Promise<void> {
  const backend = backendFor(location);
  try {
    await assertRepository(backend);
  } finally {
    await backend.close();
  }
}

// The key slot this machine opened a local repository with last, tried first
// next time: one key derivation, and slots planted before it are never tried.
// A slot id is not secret. It lives with this machine's other state of the
// repository (fs/state-home.ts), in this file.
const LAST_KEY_FILE = 'last-key';

async function readLastKey(dir: string): Promise<string | undefined> {
  try {
    const state = await findMachineStateDir(dir);
    if (state === undefined) return undefined;
    const id = (await readFile(join(state, LAST_KEY_FILE), 'utf8')).trim();
    return /^[0-9a-f]{64}$/.test(id) ? id : undefined; // anything else: no hint
  } catch {
    return undefined;
  }
}

async function rememberLastKey(dir: string, id: string): Promise<void> {
  try {
    await writeFileAtomic(join(await machineStateDir(dir), LAST_KEY_FILE), `${id}\n`);
  } catch {
    // Only a hint: a read-only folder opens as before, trying slots in name order.
  }
}

/**
 * Opens the local repository in `dir` through `backend` (its own, or a view
 * over it), trying first the key slot this machine opened last, and
 * remembers the slot that opened.
 */
export async function openWithLastKey(dir: string, backend: Backend, passphrase: string): Promise<Repository> {
  const preferredKey = await readLastKey(dir);
  const repo = await Repository.open(backend, passphrase, preferredKey === undefined ? {} : { preferredKey });
  if (repo.keyId !== preferredKey) await rememberLastKey(dir, repo.keyId);
  return repo;
}

export async function openRepositoryAt(location: string, passphrase: string): Promise<Repository> {
  const dir = localPath(location);
  return openWithLastKey(dir, backendFor(dir), passphrase);
}

export type { KdfParams };
