// Putting versions back on disk: rolling a file back to an earlier version
// (in place, recorded as a new version: history is never rewritten), restoring
// a file at a version or a file or folder as it was at a moment, in place or
// elsewhere. Unrecorded local changes are recorded first, so nothing is lost;
// a file whose data is damaged, or whose path leads into the repository, is
// not put back and is named, and the rest is.

import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { guardRestoreTarget, repositoryDirectory, RepositoryFence } from '../fs/repository-guard';
import type { Repository } from '../repo/repository';
import { versionContent } from '../versions/content';
import type { FileHistory } from '../versions/history';
import { assertTracked, fileOf, filesUnder, resolvePath, versionAt } from '../versions/lookup';
import { fileSha256, putBack, removeIfHolds, stateAt, writeInto, type NotPutBack } from '../versions/put-back';
import type { VersionRecord } from '../versions/records';
import { ArgumentError, refusing } from './argument-error';
import { scan, type TrackedFolder } from './folders';
import type { Session } from './session';

export interface RestoreOutcome {
  /** Folder-relative paths written (or target-relative, with a target). */
  written: string[];
  /** Paths removed (point-in-time restore of a folder in place). */
  removed: string[];
  /** Versions recorded by the operation (none for restores elsewhere). */
  versions: VersionRecord[];
  /** Where the files went. */
  target: string;
  /** Files not put back because their data is damaged or missing: what was on disk there is left as it was. */
  damaged: NotPutBack[];
  /** Files not put back because their path leads into the repository (a target that holds it). */
  refused: NotPutBack[];
}

export interface RestoreVersionsOptions {
  /** The version of the file at the path (exactly one of `version` and `at`). */
  version?: number;
  /** The moment the file or folder is put back as. */
  at?: Date;
  /** Elsewhere: under this folder (nothing is recorded); default in place. */
  target?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** A version to write, and the file it is a version of. */
export interface VersionToWrite {
  file: FileHistory;
  record: VersionRecord;
}

/** How a refused deletion points at the version before it, by what was asked. */
const instead = {
  rollback: (n: number) => `roll back to version ${n} instead`,
  restore: (n: number) => `restore version ${n}`,
} as const;

/**
 * A version to put back (`doing` a rollback or a restore): a deletion is
 * refused, there being nothing to write (an ArgumentError naming 'version',
 * pointing at the version before it).
 */
export function refuseDeletion(record: VersionRecord, doing: keyof typeof instead): VersionRecord {
  if (record.op === 'delete') throw new ArgumentError('INVALID_ARGUMENT', 'version', `version ${record.n} of ${record.path} is its deletion; ${instead[doing](record.n - 1)}`);
  return record;
}

/** Refuses to put versions back into a folder not tracked any more (an ArgumentError naming 'folder'): restore elsewhere instead. */
export function assertInPlace(folder: TrackedFolder): void {
  refusing('folder', () => assertTracked(folder));
}

/**
 * Makes version `n` of a file current again, on disk and as a new version
 * (history is never rewritten). Unrecorded changes to the file are recorded
 * first, so nothing is lost.
 */
export async function rollback(s: Session, path: string, n: number, message?: string): Promise<RestoreOutcome> {
  const v = await s.versions();
  const { folder } = resolvePath(v.state, path);
  const target = refuseDeletion(versionAt(v, path, n), 'rollback');
  const file = fileOf(v.history, target);
  assertInPlace(folder);
  await scan(s, [folder.name], { settleMs: 0 }); // unrecorded local changes become versions first
  const newest = v.history.headOf(file, v.state.settled.view()) ?? target;
  const rel = newest.op === 'delete' ? target.path : newest.path; // keeps a rename made since
  await writeInto(folder.path, rel, versionContent(s.repo, file, target), target.mode, await fence(s.repo));
  const intents = new Map([[`${folder.id}/${rel}`, { op: 'rollback' as const, message: message ?? `rolled back to version ${n}`, file }]]);
  const result = await scan(s, [folder.name], { settleMs: 0, intents });
  return { written: [rel], removed: [], versions: result.versions, target: folder.path, damaged: [], refused: [] };
}

/**
 * Puts back a file at a version (`version`), or a file or folder as it was
 * at a moment (`at`): into its tracked folder by default (recording local
 * changes first, then the restore as new versions; files that did not
 * exist then are removed, and stay in history), or under `target`.
 * Damaged or missing data, or a path into the repository, costs that file
 * only: it is named in the outcome (`damaged`, `refused`), left on disk as
 * it was, and everything else is put back.
 * `signal` stops it between files: in place, what was written is still
 * recorded as restored, then it rejects with the signal's reason.
 */
export async function restoreVersions(s: Session, path: string, options: RestoreVersionsOptions): Promise<RestoreOutcome> {
  if ((options.version === undefined) === (options.at === undefined)) throw new EngineError('INVALID_ARGUMENT', 'give exactly one of --version N and --at TIME');
  const v = await s.versions();
  const { state, history } = v;
  const { folder, rel } = resolvePath(state, path);
  const single = rel !== '' ? history.fileAt(folder.id, rel, state.settled.view()) : undefined;
  let wanted: Map<string, VersionToWrite>;
  if (options.version !== undefined) {
    if (!single) throw new EngineError('NOT_FOUND', `no history for ${path} (--version needs a file; use --at for folders)`);
    wanted = new Map([[rel, { file: single, record: refuseDeletion(versionAt(v, path, options.version), 'restore') }]]);
  } else {
    const files = single ? [single] : filesUnder(v, folder, rel);
    const all = stateAt(files, options.at as Date);
    wanted = single ? new Map([...all.values()].map((e) => [rel, e])) : all;
    if (wanted.size === 0 && single) throw new EngineError('NOT_FOUND', `${path} did not exist at ${(options.at as Date).toISOString()}`);
  }
  const what = options.version !== undefined ? `restored version ${options.version}` : `restored as of ${(options.at as Date).toISOString()}`;
  if (options.target !== undefined) {
    // Elsewhere: paths below the given one, under the target; nothing in the folder changes.
    const base = single ? rel.slice(0, rel.lastIndexOf('/') + 1) : rel === '' ? '' : `${rel}/`;
    const files = [...wanted].map(([at, version]): [string, VersionToWrite] => [at.slice(base.length), version]);
    return restoreTo(s, options.target, files, options);
  }
  assertInPlace(folder);
  await scan(s, [folder.name], { settleMs: 0 }); // unrecorded local changes become versions first
  const live = history.current(folder.id, state.settled.view());
  const fenced = await fence(s.repo);
  const written: string[] = [];
  const removed: string[] = [];
  const damaged: NotPutBack[] = [];
  const refused: NotPutBack[] = [];
  /** Files not put back: their copy on disk now (under another name, if renamed since) is not removed either. */
  const notPutBack = new Set<string>();
  const intents = new Map<string, { op: 'restore'; message: string; file: FileHistory }>();
  let done = 0;
  for (const [at, { file, record }] of [...wanted].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (options.signal?.aborted) break;
    options.onProgress?.(done++, wanted.size);
    if (await sameOnDisk(join(folder.path, ...at.split('/')), record)) continue; // already so
    const put = await putBack(folder.path, at, versionContent(s.repo, file, record), record.mode, fenced);
    if (put !== 'written') {
      if ('damaged' in put) damaged.push({ path: at, message: put.damaged });
      else refused.push({ path: at, message: put.refused });
      notPutBack.add(file.file);
      continue;
    }
    intents.set(`${folder.id}/${at}`, { op: 'restore', message: what, file });
    written.push(at);
  }
  if (options.at !== undefined && !single && !options.signal?.aborted) {
    const prefix = rel === '' ? '' : `${rel}/`;
    for (const [current, record] of live) {
      if (!current.startsWith(prefix) || wanted.has(current) || notPutBack.has(record.file)) continue;
      // Only as recorded just before: a file saved since is not removed (the scan records it).
      if ((await removeIfHolds(folder.path, current, record.sha256)) !== 'removed') continue;
      intents.set(`${folder.id}/${current}`, { op: 'restore', message: what, file: fileOf(history, record) });
      removed.push(current);
    }
  }
  // A whole adopted folder put as it was: it is now whole here, and what goes missing from now on is deleted.
  // Not when files could not be put back: they are still missing here, and must not be recorded as deleted.
  const whole = damaged.length + refused.length === 0;
  if (!single && rel === '' && options.at !== undefined && !options.signal?.aborted && whole) await state.folders.setObserved(folder.id);
  const result = written.length + removed.length > 0 ? await scan(s, [folder.name], { settleMs: 0, intents, message: what }) : undefined;
  options.signal?.throwIfAborted();
  return { written, removed, versions: result?.versions ?? [], target: folder.path, damaged, refused };
}

/**
 * Writes versions under `target`, each at its path in `files` (relative to
 * the target): a restore elsewhere, so nothing is recorded. The target may
 * hold the repository but not be it or lie inside it; damaged data or a path
 * into the repository costs that file only (named in the outcome), the rest
 * is written. `signal` stops it between files.
 */
export async function restoreTo(
  s: Session,
  target: string,
  files: Array<[string, VersionToWrite]>,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number, path: string) => void } = {},
): Promise<RestoreOutcome> {
  const root = resolve(target);
  await guardRestoreTarget(root, repositoryDirectory(s.repo));
  await mkdir(root, { recursive: true });
  const fenced = await fence(s.repo);
  const outcome: RestoreOutcome = { written: [], removed: [], versions: [], target: root, damaged: [], refused: [] };
  let done = 0;
  for (const [path, { file, record }] of [...files].sort((a, b) => a[0].localeCompare(b[0]))) {
    options.signal?.throwIfAborted();
    const put = await putBack(root, path, versionContent(s.repo, file, record), record.mode, fenced);
    if (put === 'written') outcome.written.push(path);
    else if ('damaged' in put) outcome.damaged.push({ path, message: put.damaged });
    else outcome.refused.push({ path, message: put.refused });
    options.onProgress?.(++done, files.length, path);
  }
  return outcome;
}

/** Each file's version current at `at` among the files of the folder with id `folderId`, by folder-relative path (deleted files are not there). */
export async function folderAt(s: Session, folderId: string, at: Date): Promise<Map<string, VersionToWrite>> {
  return stateAt((await s.versions()).history.filesIn(folderId), at);
}

/** The repository's folder, for restores to keep out of (none for a repository that is not on this machine's disk). */
function fence(repo: Repository): Promise<RepositoryFence | undefined> {
  return RepositoryFence.around(repositoryDirectory(repo));
}

/** Whether the file at `path` holds exactly the content of `record` (compared by size, then SHA-256). */
async function sameOnDisk(path: string, record: VersionRecord): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size !== record.size) return false;
    return (await fileSha256(path)) === record.sha256;
  } catch {
    return false;
  }
}
