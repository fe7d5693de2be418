// The implementation of the shared API (src/shared/api.ts) on top of the
// engine: argument validation, the unlocked session, and the mapping of engine
// failures to the contract's error codes. Every host (Electron main, the
// headless HTTP host, tests) runs this same object; the engine functions come
// in as ServiceDeps so the service can be tested with fakes.

import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  MIN_PASSPHRASE_LENGTH,
  isApiErrorCode,
  type ApiMethod,
  type ApiResponse,
  type ApiResult,
  type BackupResult,
  type EventSink,
  type RepoStatus,
  type StrataApi,
} from '../shared/api';
import { StrataError } from '../shared/errors';
import { ENGINE_VERSION } from './version';

/** The engine functions the service needs. Errors they throw may carry a
 * `code`: an ApiErrorCode ('WRONG_PASSPHRASE', 'NO_REPOSITORY', ...) is passed
 * on as is, Node's ENOENT/EACCES/EPERM are translated, anything else is INTERNAL. */
export interface ServiceDeps {
  defaultRepoPath: string;
  initRepository(path: string, passphrase: string): Promise<void>;
  openRepository(path: string, passphrase: string): Promise<void>;
  backup(path: string, repoPath: string, passphrase: string): Promise<BackupResult>;
  repositoryExists(path: string): Promise<boolean>;
}

interface Session {
  path: string;
  passphrase: string;
}

export function createService(deps: ServiceDeps, emit: EventSink = () => {}): StrataApi {
  let session: Session | undefined;
  // The repository last created or unlocked, so status still points at it
  // after repo.lock even when it is not the default location.
  let lastPath: string | undefined;

  async function status(): Promise<RepoStatus> {
    const defaultPath = deps.defaultRepoPath;
    if (session) return { state: 'unlocked', path: session.path, defaultPath };
    const path = lastPath ?? defaultPath;
    const exists = await call(() => deps.repositoryExists(path));
    return { state: exists ? 'locked' : 'none', path, defaultPath };
  }

  async function unlocked(path: string, passphrase: string): Promise<RepoStatus> {
    session = { path, passphrase };
    lastPath = path;
    const result = await status();
    emit('repo.changed', result);
    return result;
  }

  return {
    'app.version': async () => ({ engine: ENGINE_VERSION }),

    'repo.status': status,

    'repo.create': async (args) => {
      const path = pathArg(args, 'path');
      const passphrase = passphraseArg(args);
      if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
        throw new StrataError(
          'INVALID_ARGUMENT',
          `The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`,
          'passphrase',
        );
      }
      if (await call(() => deps.repositoryExists(path))) {
        throw new StrataError('REPO_EXISTS', `A repository already exists at ${path}; unlock it instead.`, 'path');
      }
      await call(() => deps.initRepository(path, passphrase));
      return unlocked(path, passphrase);
    },

    'repo.unlock': async (args) => {
      const path = pathArg(args, 'path');
      const passphrase = passphraseArg(args);
      try {
        await deps.openRepository(path, passphrase);
      } catch (err) {
        const failure = asStrataError(err);
        // The engine's wording is for logs; these two the user acts on.
        if (failure.code === 'WRONG_PASSPHRASE') {
          throw new StrataError('WRONG_PASSPHRASE', 'This passphrase does not unlock the repository.', 'passphrase');
        }
        if (failure.code === 'NO_REPOSITORY' || failure.code === 'NOT_FOUND') {
          throw new StrataError('NO_REPOSITORY', `There is no Strata repository at ${path}.`, 'path');
        }
        throw failure;
      }
      return unlocked(path, passphrase);
    },

    'repo.lock': async () => {
      const wasUnlocked = session !== undefined;
      session = undefined;
      const result = await status();
      if (wasUnlocked) emit('repo.changed', result);
      return result;
    },

    'folders.backup': async (args) => {
      const path = pathArg(args, 'path');
      const current = session;
      if (!current) throw new StrataError('LOCKED', 'Unlock or create a repository first.');
      if (isWithin(current.path, path)) {
        throw new StrataError('INVALID_ARGUMENT', 'This folder contains the repository itself; choose another folder.', 'path');
      }
      emit('backup.progress', { phase: 'started', path });
      try {
        const result = await call(() => deps.backup(path, current.path, current.passphrase));
        emit('backup.progress', { phase: 'finished', path, result });
        return result;
      } catch (err) {
        const failure = asStrataError(err);
        emit('backup.progress', { phase: 'failed', path, error: failure.toApiError() });
        throw failure;
      }
    },
  } satisfies StrataApi;
}

/**
 * Runs one contract call for a host and packs the outcome for the wire. `args`
 * come straight from IPC or HTTP, unchecked: the service validates them.
 */
export async function dispatch<M extends ApiMethod>(
  service: StrataApi,
  method: M,
  args: readonly unknown[],
  onInternalError: (err: unknown) => void = () => {},
): Promise<ApiResponse<M>> {
  try {
    const result: unknown = await Reflect.apply(service[method], service, args);
    return { result: result as ApiResult<M> };
  } catch (err) {
    const failure = asStrataError(err);
    if (failure.code === 'INTERNAL') onInternalError(err);
    return { error: failure.toApiError() };
  }
}

/** Maps anything thrown to a StrataError (see ServiceDeps for the rules). */
export function asStrataError(err: unknown): StrataError {
  if (err instanceof StrataError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const path = typeof err === 'object' && err !== null ? (err as { path?: unknown }).path : undefined;
  if (isApiErrorCode(code)) return new StrataError(code, message);
  switch (code) {
    case 'ENOENT':
      return new StrataError('NOT_FOUND', typeof path === 'string' ? `Nothing exists at ${path}.` : message);
    case 'ENOTDIR':
      return new StrataError('INVALID_ARGUMENT', typeof path === 'string' ? `${path} is not a folder.` : message);
    case 'EACCES':
    case 'EPERM':
      return new StrataError('PERMISSION_DENIED', typeof path === 'string' ? `Access to ${path} was denied.` : message);
    default:
      return new StrataError('INTERNAL', message || 'Unexpected error.');
  }
}

// Engine calls go through here so their failures leave the service as StrataErrors.
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asStrataError(err);
  }
}

function field(args: unknown, name: string): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new StrataError('INVALID_ARGUMENT', 'Expected an object of named arguments.');
  }
  return (args as Record<string, unknown>)[name];
}

function pathArg(args: unknown, name: string): string {
  const value = field(args, name);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StrataError('INVALID_ARGUMENT', 'Enter a folder path.', name);
  }
  if (value.includes('\0')) throw new StrataError('INVALID_ARGUMENT', 'The path contains a NUL character.', name);
  const trimmed = value.trim();
  const expanded = trimmed === '~' ? homedir() : trimmed.startsWith('~/') ? join(homedir(), trimmed.slice(2)) : trimmed;
  if (!isAbsolute(expanded)) {
    throw new StrataError('INVALID_ARGUMENT', `Enter a full path (for example ${join(homedir(), 'Courses')}).`, name);
  }
  return resolve(expanded);
}

function passphraseArg(args: unknown): string {
  // Not trimmed: spaces are legitimate passphrase characters.
  const value = field(args, 'passphrase');
  if (typeof value !== 'string' || value === '') {
    throw new StrataError('INVALID_ARGUMENT', 'Enter the passphrase.', 'passphrase');
  }
  return value;
}

function isWithin(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
