// A course's files and their versions: the file tree (live and deleted
// files), a file's versions, putting a version back in place (rollback) or
// elsewhere (restoreTo), and tags. The contract names a file by course and
// course-relative path; the operations (engine/ops) by absolute path inside
// the folder.

import { join } from 'node:path';
import type { FileEntry, FileVersion, RestoreSummary } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { ArgumentError } from '../ops/argument-error';
import { tag, type VersionRecord } from '../ops/history';
import { refuseDeletion, restoreVersions, rollback, type RestoreOutcome } from '../ops/restore-versions';
import type { Session, Versions } from '../ops/session';
import type { FileHistory } from '../versions/history';
import type { TrackedFolder } from '../versions/local-state';
import { toFileVersion } from './catalog';
import type { AppContext } from './context';
import { findCourse, withField } from './courses';
import { sentence } from './notices';
import { refuseRepositoryPath } from './repository-paths';

/** A course and a file in it (live, else the one deleted last from that path). */
export interface FileRef {
  folder: TrackedFolder;
  rel: string;
  abs: string;
  file: FileHistory;
}

export function absolutePath(folder: TrackedFolder, rel: string): string {
  return join(folder.path, ...rel.split('/'));
}

export function findFile({ state, history }: Versions, course: string, rel: string): FileRef {
  const folder = findCourse(state, course, { anyState: true });
  const file = history.fileAt(folder.id, rel, state.settled.view());
  if (!file) throw new StrataError('NOT_FOUND', `"${rel}" has no history in "${folder.name}".`, 'path');
  return { folder, rel, abs: absolutePath(folder, rel), file };
}

/** Version `n` of a file found already (findFile), from its history as found: a NOT_FOUND on the argument `field` when it has none. */
export function versionOf(ref: FileRef, n: number, field = 'n'): VersionRecord {
  const record = ref.file.versions.find((v) => v.n === n);
  if (!record) throw new StrataError('NOT_FOUND', `"${ref.rel}" has no version ${n} (it has 1 to ${ref.file.versions.length}).`, field);
  return record;
}

export async function listFiles(session: Session, course: string): Promise<FileEntry[]> {
  const { state, history } = await session.versions();
  const folder = findCourse(state, course, { anyState: true });
  const view = state.settled.view();
  const entries: FileEntry[] = [];
  for (const file of history.filesIn(folder.id)) {
    const head = history.headOf(file, view) ?? file.versions.at(-1);
    if (!head) continue;
    let lastChange = head.time;
    for (const v of file.versions) if (v.time > lastChange) lastChange = v.time;
    entries.push({ course: folder.id, file: file.file, path: head.path, deleted: head.op === 'delete', size: head.size, versions: file.versions.length, lastChange });
  }
  return entries.sort((a, b) => a.path.localeCompare(b.path) || Number(a.deleted) - Number(b.deleted));
}

export async function fileVersions(session: Session, course: string, rel: string): Promise<FileVersion[]> {
  const ref = findFile(await session.versions(), course, rel);
  return ref.file.versions.map((v) => toFileVersion(ref.file, v));
}

/** The API's account of a restore; files it could not put back (damaged data, a path into the repository) are named, when there are any. */
export function summaryOf(outcome: RestoreOutcome): RestoreSummary {
  const notRestored = [
    ...outcome.damaged.map((d) => ({ path: d.path, reason: 'damaged' as const, message: d.message })),
    ...outcome.refused.map((r) => ({ path: r.path, reason: 'refused' as const, message: r.message })),
  ];
  return { written: outcome.written, removed: outcome.removed, versions: outcome.versions.length, target: outcome.target, ...(notRestored.length > 0 ? { notRestored } : {}) };
}

/** Refuses (on 'n') a version that is not there or cannot be put back (a deletion: ops/restore-versions.ts decides, in its words). */
function assertPutBack(ref: FileRef, n: number, doing: 'rollback' | 'restore'): void {
  const record = versionOf(ref, n);
  try {
    refuseDeletion(record, doing);
  } catch (error) {
    throw withField(error, 'n', sentence);
  }
}

export async function rollbackFile(ctx: AppContext, course: string, rel: string, n: number): Promise<RestoreSummary> {
  const { session } = ctx;
  const outcome = await session.exclusive(async () => {
    const ref = findFile(await session.versions(), course, rel);
    assertPutBack(ref, n, 'rollback');
    try {
      return { ref, outcome: await rollback(session, ref.abs, n) };
    } catch (error) {
      if (error instanceof ArgumentError && error.argument === 'folder') {
        throw new StrataError('INVALID_ARGUMENT', `"${ref.folder.name}" is not tracked any more: restore the version elsewhere instead.`, 'course');
      }
      throw error;
    }
  });
  void ctx.activity.add({ kind: 'rollback', title: `${rel} rolled back to version ${n}`, detail: `in "${outcome.ref.folder.name}"`, course: outcome.ref.folder.id });
  if (outcome.outcome.versions.length > 0) ctx.historyChanged(outcome.outcome.versions.length);
  return summaryOf(outcome.outcome);
}

export async function restoreFileTo(ctx: AppContext, course: string, rel: string, n: number, target: string): Promise<RestoreSummary> {
  const { session } = ctx;
  const ref = findFile(await session.versions(), course, rel);
  assertPutBack(ref, n, 'restore'); // before the operation starts
  await refuseRepositoryPath(ctx, target, 'target', 'target');
  const outcome = await ctx.ops.run('restore', 'files', (op) => restoreVersions(session, ref.abs, { version: n, target, signal: op.signal, onProgress: (done, total) => op.progress(done, total) }), `Restoring ${rel}`);
  void ctx.activity.add({ kind: 'restore', title: `${rel} version ${n} restored to ${target}`, course: ref.folder.id });
  return summaryOf(outcome);
}

export async function tagVersion(ctx: AppContext, course: string, rel: string, n: number, name: string): Promise<FileVersion> {
  const { session } = ctx;
  const { ref, record } = await session.exclusive(async () => {
    const found = findFile(await session.versions(), course, rel);
    const tagged = versionOf(found, n);
    await tag(session, found.abs, n, name); // the tag itself was checked with the arguments
    return { ref: found, record: tagged };
  });
  ctx.historyChanged(0);
  // The history folds the tag into the file it found (in place): its tags now include this one.
  return toFileVersion(ref.file, record);
}
