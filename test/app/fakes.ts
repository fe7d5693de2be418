// In-memory stand-ins for the engine functions behind the service.

import type { ServiceDeps } from '../../src/engine/service';

export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeEngine extends ServiceDeps {
  /** Repository path -> passphrase. */
  repositories: Map<string, string>;
  backups: { path: string; repoPath: string; passphrase: string }[];
}

export function fakeEngine(defaultRepoPath = '/home/test/Strata'): FakeEngine {
  const repositories = new Map<string, string>();
  const backups: FakeEngine['backups'] = [];
  return {
    defaultRepoPath,
    repositories,
    backups,
    async initRepository(path, passphrase) {
      repositories.set(path, passphrase);
    },
    async openRepository(path, passphrase) {
      const expected = repositories.get(path);
      if (expected === undefined) throw new CodedError('NO_REPOSITORY', `no repository at ${path}`);
      if (expected !== passphrase) throw new CodedError('WRONG_PASSPHRASE', 'key slot did not open');
      await Promise.resolve();
    },
    async backup(path, repoPath, passphrase) {
      if (path.endsWith('/missing')) throw Object.assign(new Error(`ENOENT: scandir '${path}'`), { code: 'ENOENT', path });
      backups.push({ path, repoPath, passphrase });
      return { snapshot: `snap-${backups.length}`, files: 3, bytes: 1234 };
    },
    async repositoryExists(path) {
      return repositories.has(path);
    },
  };
}
