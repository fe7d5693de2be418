// The real engine functions behind the service (ServiceDeps), in one place:
// main and `strata serve` build their service from engineDeps(), tests use
// fakes (or engineDeps with a fast key derivation and no background work).
// Creating, opening and backing up go through the same operations the CLI
// calls (ops/repository.ts, ops/snapshots.ts).

import { homedir } from 'node:os';
import { join } from 'node:path';
import { backupFolder } from './backup';
import { initRepository, openSession, repositoryExists, type KdfParams } from '../ops/repository';
import type { ServiceDeps } from './service';

/** Where a new repository goes unless the user chooses another place. */
export function defaultRepositoryPath(home: string = homedir()): string {
  return join(home, 'Strata');
}

/** How the engine behind the service runs: ServiceDeps' settings (background work, its timings, the disk space probe), and new repositories' key derivation. */
export type EngineDepsOptions = Partial<Pick<ServiceDeps, 'background' | 'quietMs' | 'syncDelayMs' | 'diskSpace'>> & {
  /** Key derivation of new repositories (tests use cheap parameters). */
  kdf?: KdfParams;
};

export function engineDeps(defaultRepoPath: string = defaultRepositoryPath(), options: EngineDepsOptions = {}): ServiceDeps {
  return {
    defaultRepoPath,
    initRepository: async (path, passphrase) => {
      await initRepository(path, passphrase, options.kdf ? { kdf: options.kdf } : {});
    },
    openRepository: async (path, passphrase) => {
      await (await openSession(path, passphrase)).close();
    },
    openSession: (path, passphrase) => openSession(path, passphrase),
    backup: async (path, repoPath, passphrase) => {
      const session = await openSession(repoPath, passphrase);
      try {
        return await backupFolder(session, path);
      } finally {
        await session.close();
      }
    },
    repositoryExists: (path) => repositoryExists(path),
    ...(options.background !== undefined ? { background: options.background } : {}),
    ...(options.quietMs !== undefined ? { quietMs: options.quietMs } : {}),
    ...(options.syncDelayMs !== undefined ? { syncDelayMs: options.syncDelayMs } : {}),
    ...(options.diskSpace ? { diskSpace: options.diskSpace } : {}),
  };
}
