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

// ---- Courses, history and the catalog ---------------------------------------

/** A tracked course folder. */
export interface Course {
  /** Stable id (the folder id in the repository). */
  id: string;
  name: string;
  /** Where it lives on this machine. */
  path: string;
  /** Watching paused: saves are not recorded until resumed. */
  paused: boolean;
  /** Placement state (tiers): archived data may go cold and be evicted here. */
  state: 'active' | 'archived';
  /** Live files and their total size. */
  files: number;
  bytes: number;
  /** ISO time of the newest version, if any. */
  lastChange?: string;
  /**
   * Adopted from other devices' history (added here by its name) and its
   * deletions not confirmed: files it lacks here are not recorded as deleted
   * (they are not here yet) until courses.confirmDeletions, or a full restore.
   */
  adopted?: true;
  /** For an adopted course: how many files of its history its last scan did not find here. */
  notHere?: number;
}

export type VersionOp = 'add' | 'edit' | 'rename' | 'delete' | 'rollback' | 'restore' | 'merge';

/** One version of a file, as the UI shows it (and the catalog stores it). */
export interface FileVersion {
  /** Catalog key: `${file}@${n}`. */
  key: string;
  course: string;
  /** File id: stable across renames. */
  file: string;
  /** Version number of the file, from 1. */
  n: number;
  /** Course-relative path, '/'-separated. */
  path: string;
  from?: string;
  op: VersionOp;
  time: string;
  author: string;
  device: string;
  size: number;
  sha256: string;
  /** 'text' when the version's content is kept as text history. */
  kind: 'text' | 'binary' | 'none';
  summary: string;
  message?: string;
  tags: string[];
}

/** A file of a course as the file tree shows it. */
export interface FileEntry {
  course: string;
  file: string;
  path: string;
  /** Deleted files are still in history (and in the point-in-time view). */
  deleted: boolean;
  size: number;
  versions: number;
  lastChange: string;
}

/** Where the catalog stands: which version batches it has taken in (device -> highest batch number). */
export type CatalogCursor = Record<string, number>;

/** What changed in the history since a cursor: new and updated rows, and the next cursor. */
export interface CatalogChanges {
  cursor: CatalogCursor;
  courses: Course[];
  versions: FileVersion[];
  /** True when the cursor was from another repository or unknown: the catalog must drop what it has first. */
  reset: boolean;
}

/** One line of a text comparison. */
export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  /** Line numbers on the left (old) and right (new) side. */
  left?: number;
  right?: number;
  text: string;
  /** Character ranges [start, end) that changed inside the line (word-level highlights). */
  marks?: Array<[number, number]>;
  /** Who wrote an added line: version and author (attribution). */
  by?: { n: number; author: string };
}

export interface CompareSide {
  n?: number;
  label: string;
  size: number;
  sha256: string;
  /** For images: a data: URL of the content (up to a few MiB). */
  image?: string;
  /** For binaries: content type guessed from the bytes, and image dimensions. */
  type?: string;
  dimensions?: { width: number; height: number };
}

export type Comparison =
  | { kind: 'text'; from: CompareSide; to: CompareSide; lines: DiffLine[]; added: number; removed: number }
  | { kind: 'image'; from: CompareSide; to: CompareSide }
  | { kind: 'binary'; from: CompareSide; to: CompareSide; chunksChanged?: number; chunks?: number; summary: string };

/** A file as it was at a moment (point in time). */
export interface PointInTimeEntry {
  path: string;
  file: string;
  n: number;
  size: number;
  time: string;
  /** Not on disk now (deleted later, or never restored here). */
  goneNow: boolean;
}

export interface RestoreSummary {
  written: string[];
  removed: string[];
  /** Versions recorded (restores in place record them). */
  versions: number;
  target: string;
  /**
   * Files that could not be restored, when there are any (the rest was):
   * their data is damaged or missing, or their path leads into the repository
   * (a target that holds it). What was on disk there is left as it was.
   */
  notRestored?: Array<{ path: string; reason: 'damaged' | 'refused'; message: string }>;
}

/** Something that happened, newest first in the Activity screen. */
export interface ActivityItem {
  id: string;
  time: string;
  kind: 'version' | 'sync' | 'migration' | 'restore' | 'rollback' | 'backup' | 'check' | 'error';
  title: string;
  detail?: string;
  course?: string;
}

export interface TierBytes {
  objects: number;
  bytes: number;
}

/** What the Dashboard shows. */
export interface DashboardSummary {
  /** Bytes of packs on this machine, and of packs evicted (held by the remote). */
  local: TierBytes;
  evicted: TierBytes;
  /** Bytes of file content tracked (all versions, before dedup and compression) and what is stored. */
  logicalBytes: number;
  storedBytes: number;
  dedupSavedBytes: number;
  compressionSavedBytes: number;
  remote?: { name: string; hot: TierBytes; cold: TierBytes; tiered: boolean };
  cost?: { perMonth: number; allHot: number; savingsPercent: number; currency: 'USD' };
  sync: SyncStatus;
  alerts: Alert[];
}

export interface Alert {
  level: 'warning' | 'error';
  kind: 'sync' | 'check' | 'disk' | 'conflict';
  message: string;
}

export interface SyncStatus {
  state: 'off' | 'idle' | 'syncing' | 'error';
  remote?: string;
  lastSync?: string;
  error?: string;
}

export interface RemoteInfo {
  name: string;
  hot: string;
  cold?: string;
}

export interface Settings {
  author: string;
  remotes: RemoteInfo[];
  /** The placement policy file's content (docs/tiers.md), as JSON text. */
  policy: string;
}

/** A long operation's progress; `done`/`total` in `unit`. */
export interface OperationProgress {
  operation: string;
  id: string;
  done: number;
  total?: number;
  unit: 'files' | 'bytes' | 'objects';
  phase: 'running' | 'finished' | 'failed' | 'cancelled';
  message?: string;
}

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

  /** Tracked course folders. */
  'courses.list': () => Promise<Course[]>;
  /** Tracks a folder (recording its files now) and starts watching it. */
  'courses.add': (args: { path: string; name?: string }) => Promise<Course>;
  /** Stops tracking (history is kept). */
  'courses.remove': (args: { course: string }) => Promise<Course[]>;
  /** Pauses or resumes watching. */
  'courses.pause': (args: { course: string; paused: boolean }) => Promise<Course>;
  /** Active or archived (tiers); activating prefetches evicted data. */
  'courses.setState': (args: { course: string; state: 'active' | 'archived' }) => Promise<Course>;
  /** Records what changed in the course folders now (a scan). */
  'courses.scan': () => Promise<{ versions: number }>;
  /** An adopted course is whole here: records the files it lacks as deleted, now and from now on (a scan). */
  'courses.confirmDeletions': (args: { course: string }) => Promise<Course>;

  /** New history since a cursor, for the offline catalog (empty cursor: everything). */
  'catalog.changes': (args: { cursor: CatalogCursor; repository?: string }) => Promise<CatalogChanges & { repository: string }>;
  /** The offline catalog's key (base64, 32 bytes; stable per repository, derived, never stored): the page seals the catalog with it. */
  'catalog.key': () => Promise<{ repository: string; key: string }>;
  /** A course's files (live and deleted). */
  'files.list': (args: { course: string }) => Promise<FileEntry[]>;
  /** A file's versions, oldest first. */
  'files.versions': (args: { course: string; path: string }) => Promise<FileVersion[]>;
  /** Compares two versions of a file (b absent: the file on disk now). */
  'files.compare': (args: { course: string; path: string; a: number; b?: number }) => Promise<Comparison>;
  /** Puts version n back in place (recorded as a new version). */
  'files.rollback': (args: { course: string; path: string; n: number }) => Promise<RestoreSummary>;
  /** Writes version n elsewhere (a folder). */
  'files.restoreTo': (args: { course: string; path: string; n: number; target: string }) => Promise<RestoreSummary>;
  'files.tag': (args: { course: string; path: string; n: number; tag: string }) => Promise<FileVersion>;

  /** The course as it was at a moment, deleted files included. */
  'history.at': (args: { course: string; at: string }) => Promise<PointInTimeEntry[]>;
  /** Puts the course (or some of its paths) back as it was at a moment, in place or elsewhere. */
  'history.restore': (args: { course: string; at: string; paths?: string[]; target?: string }) => Promise<RestoreSummary>;

  /** What happened, newest first. */
  'activity.list': (args: { before?: string; limit?: number }) => Promise<ActivityItem[]>;
  'dashboard.summary': () => Promise<DashboardSummary>;

  'settings.get': () => Promise<Settings>;
  'settings.setAuthor': (args: { author: string }) => Promise<Settings>;
  'settings.addRemote': (args: RemoteInfo) => Promise<Settings>;
  'settings.removeRemote': (args: { name: string }) => Promise<Settings>;
  /** Replaces the placement policy (JSON text); refused with the setting at fault. */
  'settings.setPolicy': (args: { policy: string }) => Promise<Settings>;
  /** A course's ignore rules (.strataignore, gitignore syntax). */
  'settings.ignoreRules': (args: { course: string }) => Promise<{ rules: string }>;
  'settings.setIgnoreRules': (args: { course: string; rules: string }) => Promise<{ rules: string }>;

  /** Syncs with the remote now (also runs in the background after changes). */
  'sync.now': () => Promise<SyncStatus>;
  /** Cancels a long operation by its id (progress events carry it). */
  'operations.cancel': (args: { id: string }) => Promise<{ cancelled: boolean }>;
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
  'courses.list',
  'courses.add',
  'courses.remove',
  'courses.pause',
  'courses.setState',
  'courses.scan',
  'courses.confirmDeletions',
  'catalog.changes',
  'catalog.key',
  'files.list',
  'files.versions',
  'files.compare',
  'files.rollback',
  'files.restoreTo',
  'files.tag',
  'history.at',
  'history.restore',
  'activity.list',
  'dashboard.summary',
  'settings.get',
  'settings.setAuthor',
  'settings.addRemote',
  'settings.removeRemote',
  'settings.setPolicy',
  'settings.ignoreRules',
  'settings.setIgnoreRules',
  'sync.now',
  'operations.cancel',
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
  /** The operation was cancelled (operations.cancel). */
  | 'CANCELLED'
  /** A remote cannot be reached, or archived data is still being restored. */
  | 'UNAVAILABLE'
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
  CANCELLED: true,
  UNAVAILABLE: true,
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
  /** History changed (versions recorded here or synced in): pull catalog.changes from your cursor. */
  'catalog.changed': { versions: number };
  /** Courses were added, removed, paused or changed state. */
  'courses.changed': Course[];
  /** A long operation's progress (scan, restore, sync, migration). */
  'operation.progress': OperationProgress;
  'sync.status': SyncStatus;
  /** Something happened (the Activity screen prepends it). */
  'activity': ActivityItem;
}

export type StrataEventName = keyof StrataEvents;

/** One event as it travels between processes. */
export type StrataEvent = { [E in StrataEventName]: { name: E; payload: StrataEvents[E] } }[StrataEventName];

/** Where a service publishes its events; each host forwards them its own way. */
export type EventSink = <E extends StrataEventName>(name: E, payload: StrataEvents[E]) => void;
