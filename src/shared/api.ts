// The one typed API contract between the UI and the engine. Main's IPC handlers,
// the preload bridge, the headless HTTP host and the renderer's client are all
// typed from this file, so a request, its result or an error code cannot drift
// between hosts. It imports nothing: every layer may depend on it.
//
// Rules every method follows (the hosts rely on them):
// - It takes zero or one argument, a plain JSON object, and resolves to a plain
//   JSON value: the same call crosses IPC (structured clone) and HTTP (JSON).
// - It fails by throwing a StrataError (./errors) whose code is an
//   ApiErrorCode; hosts carry it as an ApiError inside an ApiResponse.

/** Where the repository the app works on stands. */
export type RepoState =
  /** No repository exists at `path` yet: the first run. */
  | 'none'
  /** A repository exists at `path` but this session has not unlocked it. */
  | 'locked'
  /** Unlocked: backups go to `path`. */
  | 'unlocked';

export interface RepoStatus {
  state: RepoState;
  /** The repository this status is about (the unlocked one, else the default). */
  path: string;
  /** Where a new repository goes unless the user picks another place. */
  defaultPath: string;
}

export interface BackupResult {
  /** Id of the snapshot the backup wrote. */
  snapshot: string;
  /** Files in the snapshot. */
  files: number;
  /** Bytes of file content in the snapshot (before dedup and compression). */
  bytes: number;
}

export interface RepoLocationArgs {
  /** Absolute path of the repository directory (a leading `~/` is expanded). */
  path: string;
  passphrase: string;
}

/** Shortest passphrase repo.create accepts. */
export const MIN_PASSPHRASE_LENGTH = 8;

/** Request name -> implementation signature. */
export interface StrataApi {
  'app.version': () => Promise<{ engine: string }>;
  'repo.status': () => Promise<RepoStatus>;
  /** Creates an encrypted repository and unlocks it. Fails with REPO_EXISTS if one is there. */
  'repo.create': (args: RepoLocationArgs) => Promise<RepoStatus>;
  /** Checks the passphrase and keeps the repository unlocked for this session. */
  'repo.unlock': (args: RepoLocationArgs) => Promise<RepoStatus>;
  /** Forgets the session's passphrase. */
  'repo.lock': () => Promise<RepoStatus>;
  /** Backs a folder up into the unlocked repository as a new snapshot. */
  'folders.backup': (args: { path: string }) => Promise<BackupResult>;
}

export type ApiMethod = keyof StrataApi;
/** The argument tuple of a method: `[]` or `[args]`. */
export type ApiArgs<M extends ApiMethod> = Parameters<StrataApi[M]>;
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<StrataApi[M]>>;

// Compile-time guard for the first rule above: zero or one object argument.
type OneObjectArgument<T> = {
  [M in keyof T]: T[M] extends (...args: infer A) => Promise<unknown>
    ? A extends [] | [object]
      ? T[M]
      : never
    : never;
};
type AssertTrue<T extends true> = T;
type _EveryMethodTakesOneObjectAtMost = AssertTrue<StrataApi extends OneObjectArgument<StrataApi> ? true : false>;

// Listed once so hosts can register every method and tests can check they did.
// Adding a method to StrataApi without listing it here fails to typecheck.
type ListsEvery<L extends readonly ApiMethod[]> = [Exclude<ApiMethod, L[number]>] extends [never]
  ? L
  : { missingMethods: Exclude<ApiMethod, L[number]> };

const methods = [
  'app.version',
  'repo.status',
  'repo.create',
  'repo.unlock',
  'repo.lock',
  'folders.backup',
] as const satisfies readonly ApiMethod[];

export const API_METHODS: ListsEvery<typeof methods> = methods;

export function isApiMethod(name: string): name is ApiMethod {
  return (API_METHODS as readonly string[]).includes(name);
}

export type ApiErrorCode =
  /** The passphrase does not open the repository. */
  | 'WRONG_PASSPHRASE'
  /** A path or object the request names does not exist (also: unknown method). */
  | 'NOT_FOUND'
  /** An argument is missing or malformed; `field` names it. */
  | 'INVALID_ARGUMENT'
  /** repo.create on a location that already holds a repository. */
  | 'REPO_EXISTS'
  /** No repository at the given location. */
  | 'NO_REPOSITORY'
  /** The call needs an unlocked repository and there is none. */
  | 'LOCKED'
  /** The operating system refused access to a path. */
  | 'PERMISSION_DENIED'
  /** Anything else: a bug or an unexpected failure; `message` says what. */
  | 'INTERNAL';

/** An error as it crosses a process or network boundary: plain, serialisable data. */
export interface ApiError {
  code: ApiErrorCode;
  message: string;
  /** The argument at fault, for INVALID_ARGUMENT (e.g. 'passphrase'). */
  field?: string;
}

/** What a host sends back for a call, over IPC and HTTP alike. */
export type ApiResponse<M extends ApiMethod = ApiMethod> = { result: ApiResult<M> } | { error: ApiError };

const errorCodes: Record<ApiErrorCode, true> = {
  WRONG_PASSPHRASE: true,
  NOT_FOUND: true,
  INVALID_ARGUMENT: true,
  REPO_EXISTS: true,
  NO_REPOSITORY: true,
  LOCKED: true,
  PERMISSION_DENIED: true,
  INTERNAL: true,
};

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message, field } = value as Record<string, unknown>;
  return isApiErrorCode(code) && typeof message === 'string' && (field === undefined || typeof field === 'string');
}

/** Events the engine pushes to the UI: name -> payload. */
export interface StrataEvents {
  /** A folders.backup call started or finished. */
  'backup.progress':
    | { phase: 'started'; path: string }
    | { phase: 'finished'; path: string; result: BackupResult }
    | { phase: 'failed'; path: string; error: ApiError };
  /** The repository status changed (created, unlocked, locked). */
  'repo.changed': RepoStatus;
}

export type StrataEventName = keyof StrataEvents;

/** One event as it travels between processes. */
export type StrataEvent = { [E in StrataEventName]: { name: E; payload: StrataEvents[E] } }[StrataEventName];

/** Where a service publishes its events; each host forwards them its own way. */
export type EventSink = <E extends StrataEventName>(name: E, payload: StrataEvents[E]) => void;
