// A course at a moment (point in time): each file's version current then,
// deleted files included (those deleted later are marked gone now), and
// putting the course, or some of its paths, back as it was then, in place
// (recorded as restore versions; files that did not exist then are removed,
// and stay in history) or under another folder (course-relative paths kept).

import { join } from 'node:path';
import type { PointInTimeEntry, RestoreSummary } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { ArgumentError } from '../ops/argument-error';
import { assertInPlace, folderAt, restoreTo, restoreVersions } from '../ops/restore-versions';
import type { Session } from '../ops/session';
import type { AppContext } from './context';
import { findCourse } from './courses';
import { summaryOf } from './files';
import type { Operation } from './operations';
import { refuseRepositoryPath } from './repository-paths';

export async function courseAt(session: Session, course: string, at: Date): Promise<PointInTimeEntry[]> {
  const { state, history } = await session.versions();
  const folder = findCourse(state, course, { anyState: true });
  const live = history.current(folder.id, state.settled.view());
  const entries: PointInTimeEntry[] = [];
  for (const [path, { file, record }] of await folderAt(session, folder.id, at)) {
    entries.push({ path, file: file.file, n: record.n, size: record.size, time: record.time, goneNow: live.get(path)?.file !== file.file });
  }
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}

/** Puts the course (or `paths`, files or folders in it) back as it was at `at`: in place, or under `target`. */
export async function restoreCourseAt(ctx: AppContext, course: string, at: Date, paths: string[] | undefined, target: string | undefined): Promise<RestoreSummary> {
  const { session } = ctx;
  const { state } = await session.versions();
  const folder = findCourse(state, course, { anyState: true });
  if (target === undefined) {
    // Refused before the operation starts (ops/restore-versions.ts decides; the restore asks again).
    try {
      assertInPlace(folder);
    } catch (error) {
      if (error instanceof ArgumentError) throw new StrataError('INVALID_ARGUMENT', `"${folder.name}" is not tracked any more: restore it into another folder (target).`, 'target');
      throw error;
    }
  }
  if (paths) {
    // Every path must have existed then (a typo must not silently restore nothing).
    const then = await folderAt(session, folder.id, at);
    for (const p of paths) {
      if (!then.has(p) && ![...then.keys()].some((k) => k.startsWith(`${p}/`))) {
        throw new StrataError('NOT_FOUND', `"${p}" did not exist in "${folder.name}" at ${at.toISOString()}.`, 'paths');
      }
    }
  }
  if (target !== undefined) await refuseRepositoryPath(ctx, target, 'target', 'target');
  const what = paths ? `${paths.length === 1 ? paths[0] : `${paths.length} paths`} of "${folder.name}"` : `"${folder.name}"`;
  const summary = await ctx.ops.run('restore', 'files', (op) => (target !== undefined ? elsewhere(ctx, folder.id, at, paths, target, op) : inPlace(ctx, folder.path, at, paths, op)), `Restoring ${what} as of ${at.toISOString()}`);
  void ctx.activity.add({ kind: 'restore', title: `${what} restored as of ${at.toISOString()}`, detail: `${summary.written.length} written, ${summary.removed.length} removed in ${summary.target}`, course: folder.id });
  if (summary.versions > 0) ctx.historyChanged(summary.versions);
  // A full restore makes a course adopted from other devices whole here: listed again, without files not here.
  if (folder.observed === false && state.folders.list().find((f) => f.id === folder.id)?.observed !== false) await ctx.coursesChanged({ watched: false });
  return summary;
}

/** Elsewhere: each file's version then, at its course-relative path under `target`; nothing in the course changes. */
async function elsewhere(ctx: AppContext, folderId: string, at: Date, paths: string[] | undefined, target: string, op: Operation): Promise<RestoreSummary> {
  const wanted = [...(await folderAt(ctx.session, folderId, at))].filter(([p]) => !paths || paths.some((q) => p === q || p.startsWith(`${q}/`)));
  const outcome = await restoreTo(ctx.session, target, wanted, { signal: op.signal, onProgress: (done, total, path) => op.progress(done, total, path) });
  return { ...summaryOf(outcome), target };
}

/** In place: the restore of versions (ops/restore-versions.ts), per path (each records what it put back; paths come back course-relative). */
async function inPlace(ctx: AppContext, root: string, at: Date, paths: string[] | undefined, op: Operation): Promise<RestoreSummary> {
  const { session } = ctx;
  const summary: RestoreSummary = { written: [], removed: [], versions: 0, target: root };
  for (const path of paths ?? ['']) {
    op.check();
    const abs = path === '' ? root : join(root, ...path.split('/'));
    const outcome = await session.exclusive(() => restoreVersions(session, abs, { at, signal: op.signal, onProgress: (done, total) => op.progress(done, total, path || undefined) }));
    summary.written.push(...outcome.written);
    summary.removed.push(...outcome.removed);
    summary.versions += outcome.versions.length;
    const { notRestored } = summaryOf(outcome);
    if (notRestored) summary.notRestored = [...(summary.notRestored ?? []), ...notRestored];
  }
  return summary;
}
