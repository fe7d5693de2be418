// Courses: the tracked folders as the app shows them (with their live files,
// size, pause and placement state), finding one by id or name, and adding,
// removing, pausing, archiving and scanning them. Pausing is kept in the
// local state; the placement state is the policy file's `courses` setting.

import { basename } from 'node:path';
import { StrataError } from '../../shared/errors';
import type { Course } from '../../shared/api';
import { EngineError, errorMessage } from '../errors';
import { loadPolicy, savePolicy, type PlacementPolicy } from '../tiers/policy';
import { Tiers } from '../tiers/tiers';
import type { TrackedFolder } from '../versions/local-state';
import type { ScanResult } from '../versions/scanner';
import type { Workspace } from '../versions/workspace';
import { isWithin } from './args';
import type { AppContext } from './context';
import type { Operation } from './operations';

/** The tracked course named by `ref` (its id or its name); untracked ones too with `anyState` (their history stays readable). */
export function findCourse(ws: Workspace, ref: string, options: { anyState?: boolean; field?: string } = {}): TrackedFolder {
  const folders = ws.state.folders().filter((f) => f.tracked || options.anyState);
  const found = folders.find((f) => f.id === ref) ?? folders.find((f) => f.name === ref && f.tracked) ?? folders.find((f) => f.name === ref);
  if (!found) throw new StrataError('NOT_FOUND', `There is no course "${ref}".`, options.field ?? 'course');
  return found;
}

function courseOf(ws: Workspace, folder: TrackedFolder, policy: PlacementPolicy): Course {
  const live = ws.history.current(folder.id, ws.state.diskView());
  let bytes = 0;
  for (const record of live.values()) bytes += record.size;
  let lastChange: string | undefined;
  for (const file of ws.history.filesIn(folder.id)) {
    for (const v of file.versions) if (lastChange === undefined || v.time > lastChange) lastChange = v.time;
  }
  return {
    id: folder.id,
    name: folder.name,
    path: folder.path,
    paused: folder.paused === true,
    state: policy.courses[folder.name] ?? 'active',
    files: live.size,
    bytes,
    ...(lastChange !== undefined ? { lastChange } : {}),
  };
}

export async function listCourses(ctx: AppContext): Promise<Course[]> {
  const ws = ctx.session.ws;
  const policy = await loadPolicy(ctx.session.dir);
  return ws.state.folders().filter((f) => f.tracked).map((f) => courseOf(ws, f, policy));
}

async function oneCourse(ctx: AppContext, folder: TrackedFolder): Promise<Course> {
  const current = ctx.session.ws.state.folders().find((f) => f.id === folder.id) ?? folder;
  return courseOf(ctx.session.ws, current, await loadPolicy(ctx.session.dir));
}

/** Tracks a folder and records its files now (an operation: it can take a while, and be cancelled). */
export async function addCourse(ctx: AppContext, path: string, name: string | undefined): Promise<Course> {
  const { session } = ctx;
  if (isWithin(path, session.dir) || isWithin(session.dir, path)) {
    throw new StrataError('INVALID_ARGUMENT', 'This folder holds the repository (or is inside it); choose another folder.', 'path');
  }
  const folder = await session.exclusive(async () => {
    const wanted = name ?? basename(path);
    if (session.ws.state.folders().some((f) => f.tracked && f.name === wanted)) {
      throw new StrataError('INVALID_ARGUMENT', `A course named "${wanted}" exists already; choose another name.`, name !== undefined ? 'name' : 'path');
    }
    try {
      return await session.ws.addFolder(path, name);
    } catch (error) {
      throw withField(error, /name/i.test(errorMessage(error)) && name !== undefined ? 'name' : 'path');
    }
  });
  ctx.coursesChanged();
  await scanCourses(ctx, [folder]);
  return oneCourse(ctx, folder);
}

export async function removeCourse(ctx: AppContext, ref: string): Promise<Course[]> {
  const { session } = ctx;
  await session.exclusive(async () => {
    const folder = findCourse(session.ws, ref);
    await session.ws.removeFolder(folder.name);
  });
  ctx.coursesChanged();
  return listCourses(ctx);
}

export async function pauseCourse(ctx: AppContext, ref: string, paused: boolean): Promise<Course> {
  const { session } = ctx;
  const folder = await session.exclusive(async () => {
    const f = findCourse(session.ws, ref);
    if ((f.paused === true) !== paused) await session.ws.state.setPaused(f.id, paused);
    return f;
  });
  ctx.coursesChanged();
  return oneCourse(ctx, folder);
}

/** Active or archived (the policy's `courses`); activating brings back the course's evicted current data. */
export async function setCourseState(ctx: AppContext, ref: string, state: 'active' | 'archived'): Promise<Course> {
  const { session } = ctx;
  const folder = findCourse(session.ws, ref);
  const policy = await loadPolicy(session.dir);
  if ((policy.courses[folder.name] ?? 'active') !== state) {
    if (state === 'archived') policy.courses[folder.name] = 'archived';
    else delete policy.courses[folder.name];
    await savePolicy(session.dir, policy);
    ctx.coursesChanged();
  }
  if (state === 'active') {
    const tiers = await Tiers.open(session.repo, session.dir, session.ws.history);
    const fetched = await tiers.prefetch(folder.name, await tiers.report());
    if (fetched.objects > 0) void ctx.activity.add({ kind: 'migration', title: `Fetched back ${fetched.objects} packs of "${folder.name}"`, detail: `${fetched.bytes} bytes`, course: folder.id });
  }
  return oneCourse(ctx, folder);
}

/** The courses scanned and watched: tracked and not paused. */
export function activeCourses(ws: Workspace): TrackedFolder[] {
  return ws.state.folders().filter((f) => f.tracked && !f.paused);
}

/** Records what changed in the given courses (default: the active ones) now. */
export async function scanCourses(ctx: AppContext, only?: TrackedFolder[]): Promise<{ versions: number }> {
  const { session } = ctx;
  const folders = only ?? activeCourses(session.ws);
  if (folders.length === 0) return { versions: 0 };
  const result = await ctx.ops.run('scan', 'files', (op) => session.exclusive(() => scanWith(session.ws, folders, op)), `Scanning ${folders.map((f) => f.name).join(', ')}`);
  reportScan(ctx, folders, result);
  return { versions: result.versions.length };
}

async function scanWith(ws: Workspace, folders: TrackedFolder[], op: Operation): Promise<ScanResult> {
  op.check();
  return ws.scan(folders.map((f) => f.name), {
    settleMs: 0,
    signal: op.signal,
    onProgress: (p) => op.progress(p.files, undefined, p.path),
  });
}

/** Activity items and events for versions recorded by a scan (here, or by the watcher). */
export function reportScan(ctx: AppContext, folders: TrackedFolder[], result: ScanResult): void {
  if (result.versions.length === 0) return;
  for (const folder of folders) {
    const mine = result.versions.filter((v) => v.folder === folder.id);
    if (mine.length === 0) continue;
    const shown = mine.slice(0, 5).map((v) => `${v.op} ${v.path}`);
    void ctx.activity.add({
      kind: 'version',
      title: mine.length === 1 ? `${(mine[0] as { path: string }).path} recorded in "${folder.name}"` : `${mine.length} versions recorded in "${folder.name}"`,
      detail: shown.join('\n') + (mine.length > shown.length ? `\n… and ${mine.length - shown.length} more` : ''),
      course: folder.id,
    });
  }
  ctx.historyChanged(result.versions.length);
}

/** An engine INVALID_ARGUMENT (or NOT_FOUND of the path itself) as a StrataError naming the argument at fault. */
function withField(error: unknown, field: string): unknown {
  if (error instanceof EngineError && (error.code === 'INVALID_ARGUMENT' || error.code === 'NOT_FOUND')) {
    return new StrataError(error.code, error.message, field);
  }
  return error;
}
