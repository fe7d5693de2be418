// The real engine functions behind the service (ServiceDeps), in one place:
// main and `strata serve` build their service from engineDeps(), tests use
// fakes (or engineDeps with a fast key derivation and no background work).
// The only module that imports the repository and backup code for the UI.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { Session, backupFolder } from './session';
import type { KdfParams } from '../crypto/kdf';
import { initRepositoryAt, localRepositoryExists, openRepositoryAt } from '../repo/location';
import type { ServiceDeps } from './service';

/** Where a new repository goes unless the user chooses another place. */
export function defaultRepositoryPath(home: string = homedir()): string {
  return join(home, 'Strata');
}

export interface EngineDepsOptions {
  /** Key derivation of new repositories (tests use cheap parameters). */
  kdf?: KdfParams;
  /** Watch courses and sync automatically while unlocked (default true). */
  background?: boolean;
  quietMs?: number;
  syncDelayMs?: number;
  diskSpace?: ServiceDeps['diskSpace'];
}

export function engineDeps(defaultRepoPath: string = defaultRepositoryPath(), options: EngineDepsOptions = {}): ServiceDeps {
  return {
    defaultRepoPath,
    initRepository: async (path, passphrase) => {
      const repo = await initRepositoryAt(path, passphrase, options.kdf ? { kdf: options.kdf } : {});
      await repo.backend.close();
    },
    openRepository: async (path, passphrase) => {
      const repo = await openRepositoryAt(path, passphrase);
      await repo.backend.close();
    },
    openSession: (path, passphrase) => Session.open(path, passphrase),
    backup: async (path, repoPath, passphrase) => {
      const repo = await openRepositoryAt(repoPath, passphrase);
      try {
        return await backupFolder(repo, path);
      } finally {
        await repo.backend.close();
      }
    },
    repositoryExists: (path) => localRepositoryExists(path),
    ...(options.background !== undefined ? { background: options.background } : {}),
    ...(options.quietMs !== undefined ? { quietMs: options.quietMs } : {}),
    ...(options.syncDelayMs !== undefined ? { syncDelayMs: options.syncDelayMs } : {}),
    ...(options.diskSpace ? { diskSpace: options.diskSpace } : {}),
  };
}
