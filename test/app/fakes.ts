// In-memory stand-ins for the engine functions behind the service, and the
// real engine set up in temporary folders for the app API's tests.

import { join } from 'node:path';
import type { EngineDepsOptions } from '../../src/engine/service/deps';
import { createService, type ServiceDeps } from '../../src/engine/service/service';
import type { EventSink, StrataApi, StrataEvent } from '../../src/shared/api';
import { StrataError } from '../../src/shared/errors';
import { fastKdf } from '../helpers';

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

// ---- The real engine in temporary folders ----------------------------------
// New behaviour is tested against the real engine: a repository made with a
// cheap key derivation, background work off unless a test turns it on, and
// every event collected.

export const PASSPHRASE = 'correct horse battery';

export interface RealService {
  service: StrataApi;
  events: StrataEvent[];
  repoPath: string;
  /** The events of one name, in order. */
  eventsOf<E extends StrataEvent['name']>(name: E): Array<Extract<StrataEvent, { name: E }>['payload']>;
}

export function collector(): { events: StrataEvent[]; emit: EventSink } {
  const events: StrataEvent[] = [];
  return { events, emit: (name, payload) => events.push({ name, payload } as StrataEvent) };
}

/** A service over a real repository at `<root>/repo` (created, or unlocked if it exists). */
export async function realService(root: string, options: EngineDepsOptions = {}): Promise<RealService> {
  // Imported here, not at the top: tests that mock engine/deps import this file from their mock.
  const { engineDeps } = await import('../../src/engine/service/deps');
  const repoPath = join(root, 'repo');
  const { events, emit } = collector();
  const service = createService(engineDeps(repoPath, { kdf: fastKdf(), background: false, ...options }), emit);
  const exists = (await service['repo.status']()).state !== 'none';
  await service[exists ? 'repo.unlock' : 'repo.create']({ path: repoPath, passphrase: PASSPHRASE });
  return {
    service,
    events,
    repoPath,
    eventsOf: (name) => events.filter((e) => e.name === name).map((e) => e.payload) as never,
  };
}

/** Resolves with the error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  const outcome = await promise.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof StrataError)) throw outcome.error;
  return outcome.error;
}
