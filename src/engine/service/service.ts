// The implementation of the shared API (src/shared/api.ts) on top of the
// engine: argument validation, the unlocked session, and the mapping of engine
// failures to the contract's error codes. Every host (Electron main, the
// headless HTTP host, tests) runs this same object; the engine functions come
// in as ServiceDeps so the service can be tested with fakes.

import {
  type ApiErrorCode,
  type ApiMethod,
  type ApiResponse,
  type ApiResult,
  type BackupResult,
  type EventSink,
  type RepoStatus,
  type StrataApi,
} from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { booleanArg, countArg, courseArg, cursorArg, field, oneOf, passphraseArg, pathArg, pathsArg, relPathArg, stringArg, timeArg, versionArg } from './args';
import { isAtOrBelow } from '../fs/paths';
import { catalogChanges, catalogKey } from './catalog';
import { compareVersions } from './compare';
import { addCourse, confirmDeletions, listCourses, pauseCourse, removeCourse, scanCourses, setCourseState } from './courses';
import { dashboard, type DiskSpace } from './dashboard';
import { sentence } from './notices';
import { fileVersions, listFiles, restoreFileTo, rollbackFile, tagVersion } from './files';
import { Operations } from './operations';
import { courseAt, restoreCourseAt } from './point-in-time';
import { Runtime } from './runtime';
import type { Session } from '../ops/session';
import { backupFolder } from './backup';
import { addRemote, getSettings, ignoreRules, removeRemote, setAuthor, setIgnoreRules, setPolicy } from './settings';
import { DEFAULT_QUIET_MS } from '../watch/folder-watcher';
import { ENGINE_VERSION } from '../version';
import { classifyError, type ClassifiedError, type ErrorKind } from '../ops/error-kind';

/** The engine functions the service needs. What they throw is classified by
 * ops/error-kind.ts and answered by `apiErrors` (asStrataError). */
export interface ServiceDeps {
  defaultRepoPath: string;
  initRepository(path: string, passphrase: string): Promise<void>;
  openRepository(path: string, passphrase: string): Promise<void>;
  /** Backs `path` up into the repository; used only without a session (an unlocked session backs up through its own repository). */
  backup(path: string, repoPath: string, passphrase: string): Promise<BackupResult>;
  repositoryExists(path: string): Promise<boolean>;
  /**
   * Opens the unlocked repository's session (ops/session.ts) that courses,
   * history, settings and sync work on. When present, repo.unlock opens the
   * repository through it (one key derivation); absent (hosts without the
   * engine, fakes), those methods fail with UNAVAILABLE.
   */
  openSession?(path: string, passphrase: string): Promise<Session>;
  /** Watch courses and sync automatically while unlocked (default true); tests turn it off to stay deterministic. */
  background?: boolean;
  /** Quiet time after a change before a watched course is scanned (ms). */
  quietMs?: number;
  /** Delay after a change before an automatic sync (ms). */
  syncDelayMs?: number;
  /** Free and total bytes of the disk holding a path (the low disk space alert); default statfs. */
  diskSpace?(path: string): Promise<DiskSpace>;
}

interface Unlocked {
  path: string;
  passphrase: string;
  /** The app over the repository (with openSession). */
  runtime?: Runtime;
}

export function createService(deps: ServiceDeps, emit: EventSink = () => {}): StrataApi {
  let session: Unlocked | undefined;
  const ops = new Operations(emit);
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

  async function unlocked(path: string, passphrase: string, opened?: Session): Promise<RepoStatus> {
    await closeSession();
    const runtime = opened
      ? new Runtime(opened, emit, ops, {
        background: deps.background ?? true,
        quietMs: deps.quietMs ?? DEFAULT_QUIET_MS,
        ...(deps.syncDelayMs !== undefined ? { syncDelayMs: deps.syncDelayMs } : {}),
      })
      : undefined;
    session = { path, passphrase, ...(runtime ? { runtime } : {}) };
    lastPath = path;
    const result = await status();
    emit('repo.changed', result);
    return result;
  }

  /** Stops the app of the unlocked repository (background work first) and forgets it. */
  async function closeSession(): Promise<boolean> {
    const current = session;
    session = undefined;
    if (!current) return false;
    ops.cancelAll();
    await current.runtime?.stop();
    return true;
  }

  /** Opens the repository's session, with the failures the user acts on worded for them. */
  async function open(path: string, passphrase: string): Promise<Session | undefined> {
    try {
      if (deps.openSession) {
        const opened = await deps.openSession(path, passphrase);
        // The history and this machine's state now: unreadable ones fail the unlock (and close the repository).
        await opened.versions().catch(async (error: unknown) => {
          await opened.close();
          throw error;
        });
        return opened;
      }
      await deps.openRepository(path, passphrase);
      return undefined;
    } catch (err) {
      const failure = asStrataError(err);
      // The engine's wording is for logs; these two the user acts on.
      if (failure.code === 'WRONG_PASSPHRASE') {
        throw new StrataError('WRONG_PASSPHRASE', 'This passphrase does not unlock the repository.', 'passphrase');
      }
      if (failure.code === 'NO_REPOSITORY' || failure.code === 'NOT_FOUND') {
        // Where a repository's config is, "there is none" would be untrue: the engine says what is
        // (an incomplete repository: no key slots yet), and how to finish it.
        if (failure.code === 'NO_REPOSITORY' && (await deps.repositoryExists(path).catch(() => false))) {
          throw new StrataError('NO_REPOSITORY', sentence(failure.message), 'path');
        }
        throw new StrataError('NO_REPOSITORY', `There is no Strata repository at ${path}.`, 'path');
      }
      throw failure;
    }
  }

  /** The unlocked repository's app: LOCKED before unlock, UNAVAILABLE on a host without the engine. */
  function app(): Runtime {
    if (!session) throw new StrataError('LOCKED', 'Unlock or create a repository first.');
    if (!session.runtime) throw new StrataError('UNAVAILABLE', 'This host has no engine for courses and history.');
    return session.runtime;
  }

  /** Runs an app method: LOCKED/UNAVAILABLE first, then engine failures mapped to contract codes. */
  function withApp<T>(work: (runtime: Runtime) => Promise<T> | T): Promise<T> {
    return call(async () => work(app()));
  }

  return {
    'app.version': async () => ({ engine: ENGINE_VERSION }),

    'repo.status': status,

    'repo.create': async (args) => {
      const path = pathArg(args, 'path');
      const passphrase = passphraseArg(args, { minLength: true });
      if (await call(() => deps.repositoryExists(path))) {
        throw new StrataError('REPO_EXISTS', `A repository already exists at ${path}; unlock it instead.`, 'path');
      }
      await call(() => deps.initRepository(path, passphrase));
      return unlocked(path, passphrase, deps.openSession ? await open(path, passphrase) : undefined);
    },

    'repo.unlock': async (args) => {
      const path = pathArg(args, 'path');
      const passphrase = passphraseArg(args);
      if (session?.path === path) {
        // Unlocked already: nothing to do; with another passphrase, the open session goes first
        // (two sessions over one repository would share its local state).
        if (session.passphrase === passphrase) return status();
        await closeSession();
        emit('repo.changed', await status());
      }
      return unlocked(path, passphrase, await open(path, passphrase));
    },

    'repo.lock': async () => {
      const wasUnlocked = await closeSession();
      const result = await status();
      if (wasUnlocked) emit('repo.changed', result);
      return result;
    },

    'folders.backup': async (args) => {
      const path = pathArg(args, 'path');
      const current = session;
      if (!current) throw new StrataError('LOCKED', 'Unlock or create a repository first.');
      if (isAtOrBelow(current.path, path)) {
        throw new StrataError('INVALID_ARGUMENT', 'This folder contains the repository itself; choose another folder.', 'path');
      }
      emit('backup.progress', { phase: 'started', path });
      try {
        const result = await call(() => (current.runtime ? backupFolder(current.runtime.session, path) : deps.backup(path, current.path, current.passphrase)));
        emit('backup.progress', { phase: 'finished', path, result });
        void current.runtime?.ctx.activity.add({ kind: 'backup', title: `Backed up ${path}`, detail: `${result.files} files, ${result.bytes} bytes (snapshot ${result.snapshot.slice(0, 12)})` });
        return result;
      } catch (err) {
        const failure = asStrataError(err);
        emit('backup.progress', { phase: 'failed', path, error: failure.toApiError() });
        throw failure;
      }
    },


    'courses.list': async () => withApp((a) => listCourses(a.ctx)),
    'courses.add': async (args) => {
      const path = pathArg(args, 'path');
      const name = stringArg(args, 'name', 'a course name', { max: 128, optional: true });
      return withApp((a) => addCourse(a.ctx, path, name?.trim()));
    },
    'courses.remove': async (args) => {
      const course = courseArg(args);
      return withApp((a) => removeCourse(a.ctx, course));
    },
    'courses.pause': async (args) => {
      const course = courseArg(args);
      const paused = booleanArg(args, 'paused');
      return withApp((a) => pauseCourse(a.ctx, course, paused));
    },
    'courses.setState': async (args) => {
      const course = courseArg(args);
      const state = oneOf(args, 'state', ['active', 'archived'] as const);
      return withApp((a) => setCourseState(a.ctx, course, state));
    },
    'courses.scan': async () => withApp((a) => scanCourses(a.ctx)),
    'courses.confirmDeletions': async (args) => {
      const course = courseArg(args);
      return withApp((a) => confirmDeletions(a.ctx, course));
    },

    'catalog.changes': async (args) => {
      const cursor = cursorArg(args);
      const repository = stringArg(args, 'repository', 'a repository id', { max: 128, optional: true });
      return withApp((a) => catalogChanges(a.ctx, cursor, repository));
    },
    'catalog.key': async () => withApp((a) => catalogKey(a.ctx)),

    'files.list': async (args) => {
      const course = courseArg(args);
      return withApp((a) => listFiles(a.session, course));
    },
    'files.versions': async (args) => {
      const course = courseArg(args);
      const path = relPathArg(args);
      return withApp((a) => fileVersions(a.session, course, path));
    },
    'files.compare': async (args) => {
      const course = courseArg(args);
      const path = relPathArg(args);
      const a = versionArg(args, 'a');
      const b = versionArg(args, 'b', true);
      return withApp((r) => compareVersions(r.session, course, path, a, b));
    },
    'files.rollback': async (args) => {
      const course = courseArg(args);
      const path = relPathArg(args);
      const n = versionArg(args, 'n');
      return withApp((a) => rollbackFile(a.ctx, course, path, n));
    },
    'files.restoreTo': async (args) => {
      const course = courseArg(args);
      const path = relPathArg(args);
      const n = versionArg(args, 'n');
      const target = pathArg(args, 'target');
      return withApp((a) => restoreFileTo(a.ctx, course, path, n, target));
    },
    'files.tag': async (args) => {
      const course = courseArg(args);
      const path = relPathArg(args);
      const n = versionArg(args, 'n');
      const tag = stringArg(args, 'tag', 'a tag', { max: 256 }).trim();
      return withApp((a) => tagVersion(a.ctx, course, path, n, tag));
    },

    'history.at': async (args) => {
      const course = courseArg(args);
      const at = timeArg(args, 'at');
      return withApp((a) => courseAt(a.session, course, at));
    },
    'history.restore': async (args) => {
      const course = courseArg(args);
      const at = timeArg(args, 'at');
      const paths = pathsArg(args);
      const target = field(args, 'target') === undefined ? undefined : pathArg(args, 'target');
      return withApp((a) => restoreCourseAt(a.ctx, course, at, paths, target));
    },

    'activity.list': async (args) => {
      const before = stringArg(args, 'before', 'an activity id or time', { max: 128, optional: true });
      const limit = countArg(args, 'limit', 1, 1000, 100);
      return withApp((a) => a.ctx.activity.list({ ...(before !== undefined ? { before } : {}), limit }));
    },
    'dashboard.summary': async () => withApp((a) => dashboard(a.ctx, a.syncStatus(), deps.diskSpace)),

    'settings.get': async () => withApp((a) => getSettings(a.ctx)),
    'settings.setAuthor': async (args) => {
      const author = stringArg(args, 'author', 'an author', { max: 512 });
      return withApp((a) => setAuthor(a.ctx, author));
    },
    'settings.addRemote': async (args) => {
      const name = stringArg(args, 'name', 'a name for the remote', { max: 64 }).trim();
      const hot = stringArg(args, 'hot', 'where the remote is (a folder or URL)', { max: 4096 }).trim();
      const cold = stringArg(args, 'cold', 'where the remote\'s cold tier is', { max: 4096, optional: true, allowEmpty: true })?.trim();
      return withApp(async (a) => {
        const settings = await addRemote(a.ctx, { name, hot, ...(cold ? { cold } : {}) });
        await a.remotesChanged();
        return settings;
      });
    },
    'settings.removeRemote': async (args) => {
      const name = stringArg(args, 'name', 'the remote\'s name', { max: 64 });
      return withApp(async (a) => {
        const settings = await removeRemote(a.ctx, name);
        await a.remotesChanged();
        return settings;
      });
    },
    'settings.setPolicy': async (args) => {
      const policy = stringArg(args, 'policy', 'the policy (JSON)', { max: 1024 * 1024 });
      return withApp((a) => setPolicy(a.ctx, policy));
    },
    'settings.ignoreRules': async (args) => {
      const course = courseArg(args);
      return withApp((a) => ignoreRules(a.ctx, course));
    },
    'settings.setIgnoreRules': async (args) => {
      const course = courseArg(args);
      const rules = stringArg(args, 'rules', 'the ignore rules', { max: 64 * 1024, allowEmpty: true });
      return withApp((a) => setIgnoreRules(a.ctx, course, rules));
    },

    'sync.now': async () => withApp((a) => a.syncNow()),
    'operations.cancel': async (args) => {
      const id = stringArg(args, 'id', 'an operation id', { max: 64 });
      return { cancelled: ops.cancel(id) };
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

/**
 * Each kind of engine failure (ops/error-kind.ts) as the contract's code, and
 * how the app words it (else the engine's message). DAMAGED and UNSAFE_PATH
 * have no code of their own in the contract.
 */
type ApiAnswer = { code: ApiErrorCode; wording?: (failure: ClassifiedError) => string };
const internal: ApiAnswer = { code: 'INTERNAL', wording: (f) => f.message || 'Unexpected error.' };

export const apiErrors: Record<ErrorKind, ApiAnswer> = {
  NO_REPOSITORY: { code: 'NO_REPOSITORY' },
  REPO_EXISTS: { code: 'REPO_EXISTS' },
  WRONG_PASSPHRASE: { code: 'WRONG_PASSPHRASE' },
  DAMAGED: internal,
  MISSING_DATA: { code: 'NOT_FOUND' },
  INVALID_ARGUMENT: { code: 'INVALID_ARGUMENT' },
  UNSAFE_PATH: internal,
  NOT_FOUND: { code: 'NOT_FOUND' },
  UNAVAILABLE: { code: 'UNAVAILABLE' },
  CANCELLED: { code: 'CANCELLED' },
  NO_SUCH_PATH: { code: 'NOT_FOUND', wording: (f) => (f.path === undefined ? f.message : `Nothing exists at ${f.path}.`) },
  NOT_A_FOLDER: { code: 'INVALID_ARGUMENT', wording: (f) => (f.path === undefined ? f.message : `${f.path} is not a folder.`) },
  PERMISSION_DENIED: { code: 'PERMISSION_DENIED', wording: (f) => (f.path === undefined ? f.message : `Access to ${f.path} was denied.`) },
  UNKNOWN: internal,
};

/** Maps anything thrown to a StrataError: the service's own pass as they are, the engine's by `apiErrors`. */
export function asStrataError(err: unknown): StrataError {
  if (err instanceof StrataError) return err;
  const failure = classifyError(err);
  const { code, wording } = apiErrors[failure.kind];
  return new StrataError(code, wording ? wording(failure) : failure.message);
}

// Engine calls go through here so their failures leave the service as StrataErrors.
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asStrataError(err);
  }
}
