// Tracked folders: adding one (a folder known from other devices' history by
// its name continues that history), removing one (its history stays),
// listing them, pausing one, and scanning them into versions. What becomes a
// version is decided by the scanner (versions/scanner.ts), for every host.

import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { EngineError } from '../errors';
import { guardTrackedFolder, repositoryDirectory } from '../fs/repository-guard';
import type { TrackedFolder } from '../versions/local-state';
import { isBelow } from '../fs/paths';
import { trackedByName } from '../versions/lookup';
import { scanFolders, writeBatch, type ScanOptions, type ScanResult } from '../versions/scanner';
import { ArgumentError, NameTakenError } from './argument-error';
import { authorOf } from './author';
import type { Session } from './session';

export type { TrackedFolder } from '../versions/local-state';
export type { ScanResult } from '../versions/scanner';

export interface FolderSummary extends TrackedFolder {
  /** Files in it now (not deleted). */
  files: number;
  /** Versions of all its files, deleted ones included. */
  versions: number;
}

export type ScanFoldersOptions = Omit<ScanOptions, 'folders' | 'author'> & {
  /** In a folder adopted from other devices, files missing here are recorded as deleted, now and from now on. */
  confirmDeletions?: boolean;
};

const FOLDER_NAME = /^[^/\\\0]{1,128}$/;

/** The folders tracked on this machine (not those removed). */
export async function trackedFolders(s: Session): Promise<TrackedFolder[]> {
  return (await s.versions()).state.folders.tracked();
}

/** The folders scanned and watched in the background: tracked and not paused. */
export async function activeFolders(s: Session): Promise<TrackedFolder[]> {
  return (await s.versions()).state.folders.tracked().filter((f) => !f.paused);
}

/** Every folder this machine knows (removed ones too, their history readable), with its files and versions counted. */
export async function listFolders(s: Session): Promise<FolderSummary[]> {
  const { state, history } = await s.versions();
  return state.folders.list().map((f) => {
    const files = history.filesIn(f.id);
    return { ...f, files: files.filter((h) => (history.headOf(h)?.op ?? 'delete') !== 'delete').length, versions: files.reduce((n, h) => n + h.versions.length, 0) };
  });
}

/**
 * Starts tracking a folder (or tracks a removed one again). A refusal of the
 * name (invalid, or taken by a tracked folder: NameTakenError) is an
 * ArgumentError naming 'name'; the rest are about the path.
 */
export async function addFolder(s: Session, path: string, name?: string): Promise<TrackedFolder> {
  const { state, history } = await s.versions();
  const absolute = resolve(path);
  let st;
  try {
    st = await stat(absolute);
  } catch {
    throw new EngineError('NOT_FOUND', `no folder at ${absolute}`);
  }
  if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `${absolute} is not a folder`);
  await guardTrackedFolder(absolute, repositoryDirectory(s.repo)); // its scans would record the repository's own writes
  const folderName = name ?? basename(absolute);
  if (!FOLDER_NAME.test(folderName)) throw new ArgumentError('INVALID_ARGUMENT', 'name', `folder name ${JSON.stringify(folderName)} must be 1 to 128 characters without slashes`);
  const existing = state.folders.list();
  const samePlace = existing.find((f) => f.path === absolute);
  if (samePlace?.tracked) throw new EngineError('INVALID_ARGUMENT', `${absolute} is already tracked as "${samePlace.name}"`);
  const sameName = existing.find((f) => f.name === folderName && f.tracked);
  if (sameName) throw new NameTakenError(folderName, `a tracked folder is already named "${folderName}"; choose another with --name`);
  const nested = existing.find((f) => f.tracked && (isBelow(absolute, f.path) || isBelow(f.path, absolute)));
  if (nested) throw new EngineError('INVALID_ARGUMENT', `${absolute} overlaps the tracked folder "${nested.name}" (${nested.path})`);
  // A folder known from history by this name (tracked on another device, or here before) continues its history.
  const known = history.folders().find((f) => f.name === folderName && !existing.some((e) => e.id === f.id && e.tracked));
  const adopted = !samePlace && known !== undefined && history.filesIn(known.id).length > 0;
  const folder: TrackedFolder = { id: samePlace?.id ?? known?.id ?? randomBytes(16).toString('hex'), name: folderName, path: absolute, tracked: true, ...(adopted ? { observed: false } : {}) };
  await writeBatch(s.repo, state, history, [{ kind: 'folder', folder: folder.id, name: folder.name, op: 'add', time: new Date().toISOString(), device: state.batches.device }]);
  await state.folders.add(folder);
  return folder;
}

/** Stops tracking a folder; its history stays. */
export async function removeFolder(s: Session, name: string): Promise<TrackedFolder> {
  const { state, history } = await s.versions();
  const folder = trackedByName(state, name);
  await writeBatch(s.repo, state, history, [{ kind: 'folder', folder: folder.id, name: folder.name, op: 'remove', time: new Date().toISOString(), device: state.batches.device }]);
  await state.folders.setTracked(folder.id, false);
  return { ...folder, tracked: false };
}

/** Pauses watching a folder on this machine (the app), or resumes it: kept in this machine's state. */
export async function pauseFolder(s: Session, id: string, paused: boolean): Promise<void> {
  await (await s.versions()).state.folders.setPaused(id, paused);
}

/**
 * Records every change in the named tracked folders (all of them by default).
 * In a folder adopted from another device, files missing here are not
 * recorded as deleted (they are not here yet) until `confirmDeletions`
 * says the folder is whole as it is (or a full restore of it ran).
 */
export async function scan(s: Session, names: string[] = [], options: ScanFoldersOptions = {}): Promise<ScanResult> {
  const { state, history } = await s.versions();
  const media = await s.media();
  const { confirmDeletions, ...scanOptions } = options;
  let folders = names.length > 0 ? names.map((n) => trackedByName(state, n)) : state.folders.tracked();
  if (folders.length === 0) throw new EngineError('INVALID_ARGUMENT', 'no folders are tracked yet: add one with `strata add PATH`');
  if (confirmDeletions) {
    for (const f of folders) await state.folders.setObserved(f.id);
    folders = folders.map((f) => trackedByName(state, f.name));
  }
  return scanFolders(s.repo, state, history, { ...scanOptions, folders, author: authorOf(state), view: state.settled.view(), ...(media ? { media } : {}) });
}
