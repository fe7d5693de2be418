// The real engine functions behind the service (ServiceDeps), in one place:
// main and `strata serve` build their service from engineDeps(), tests use
// fakes. The only module that imports the repository and backup code for the UI.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { initRepositoryAt, localRepositoryExists, openRepositoryAt } from './repo/location';
import { backup } from './snapshot/archiver';
import type { ServiceDeps } from './service';

/** Where a new repository goes unless the user chooses another place. */
export function defaultRepositoryPath(home: string = homedir()): string {
  return join(home, 'Strata');
}

export function engineDeps(defaultRepoPath: string = defaultRepositoryPath()): ServiceDeps {
  return {
    defaultRepoPath,
    initRepository: async (path, passphrase) => {
      await initRepositoryAt(path, passphrase);
    },
    openRepository: async (path, passphrase) => {
      await openRepositoryAt(path, passphrase);
    },
    backup: async (path, repoPath, passphrase) => {
      const repo = await openRepositoryAt(repoPath, passphrase);
      const result = await backup(repo, { paths: [path] });
      return { snapshot: result.id, files: result.snapshot.stats.files, bytes: result.snapshot.stats.bytes };
    },
    repositoryExists: (path) => localRepositoryExists(path),
  };
}
