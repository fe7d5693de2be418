// Repository operations every host calls: creating one at a location, telling
// whether a location holds one (before any passphrase is asked), unlocking it
// into a Session, and its keys (passphrases: one key slot each).

import { defaultKdfParams, type KdfParams } from '../crypto/kdf';
import { initRepositoryAt } from '../repo/location';
import type { KeyInfo } from '../repo/repository';
import { Session, type OpenOptions } from './session';

export type { KdfParams } from '../crypto/kdf';
/** Throws NO_REPOSITORY unless `location` holds a repository a passphrase could open (a config and key slots): a wrong location is said as such before any passphrase is asked. */
export { assertRepositoryAt } from '../repo/location';
/** Whether a repository's config is at `path` (it may still lack key slots). */
export { localRepositoryExists as repositoryExists } from '../repo/location';
/** The one line a host shows for a stray file among the objects (a repository's, or `where`'s, a remote). */
export { strayMessage } from '../repo/listing';
/** Text from a repository or a disk (names, authors, messages) with control characters escaped, as every host shows it. */
export { printable } from '../printable';

export interface InitOptions {
  /** Key derivation of the first key slot (default: defaultKdfParams; tests use cheap ones). */
  kdf?: KdfParams;
}

/** What a new repository is known by. */
export interface CreatedRepository {
  id: string;
  /** Its local directory. */
  location: string;
  /** The id of its first key slot. */
  keyId: string;
}

/** Creates an encrypted repository at `location` with one key slot for `passphrase`. */
export async function initRepository(location: string, passphrase: string, options: InitOptions = {}): Promise<CreatedRepository> {
  const repo = await initRepositoryAt(location, passphrase, options.kdf ? { kdf: options.kdf } : {});
  try {
    return { id: repo.config.id, location: repo.backend.location, keyId: repo.keyId };
  } finally {
    await repo.backend.close();
  }
}

/** Unlocks the local repository at `location` (see Session.open). */
export function openSession(location: string, passphrase: string, options: OpenOptions = {}): Promise<Session> {
  return Session.open(location, passphrase, options);
}

/**
 * Calls `listener` once for each stray file among the repository's objects:
 * those found so far (while opening), then each one a read comes across.
 * Returns what stops listening.
 */
export function onStray(s: Session, listener: (name: string) => void): () => void {
  const stop = s.repo.strays.listen(listener);
  return () => void stop();
}

/** The default key derivation with scrypt cost `n` (a power of two: hosts check their own option first). */
export function kdfWithN(n: number): KdfParams {
  return { ...defaultKdfParams(), N: n };
}

export function listKeys(s: Session): Promise<KeyInfo[]> {
  return s.repo.listKeys();
}

/** Adds a key slot for `passphrase`; returns its id. */
export function addKey(s: Session, passphrase: string, kdf?: KdfParams): Promise<string> {
  return s.repo.addKey(passphrase, kdf);
}

/** Removes the key slot `id` (or a unique prefix of it), never the one in use; returns its full id. */
export function removeKey(s: Session, id: string): Promise<string> {
  return s.repo.removeKey(id);
}

/** Replaces the key slot in use by one for `passphrase`; returns the new slot's id. */
export function changePassphrase(s: Session, passphrase: string, kdf?: KdfParams): Promise<string> {
  return s.repo.changePassphrase(passphrase, kdf);
}
