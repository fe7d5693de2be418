// Courses: the tracked folders as the app shows them (with their live files,
// size, pause and placement state, and for one adopted from other devices the
// files not on this computer), finding one by id or name, and adding,
// removing, pausing, archiving, scanning them and confirming an adopted one's
// deletions. Pausing is kept in the local state; the placement state is the
// policy file's `courses` setting.

import { StrataError } from '../../shared/errors';
import type { Course } from '../../shared/api';
import { EngineError } from '../errors';
import { printable } from '../printable';
import { ArgumentError, NameTakenError } from '../ops/argument-error';
import { activeFolders, addFolder, pauseFolder, removeFolder, scan, trackedFolders, type ScanResult, type TrackedFolder } from '../ops/folders';
import type { Versions } from '../ops/session';
import { setCourseState as setState } from '../ops/tiers';
import { loadPolicy, type PlacementPolicy } from '../tiers/policy';
import type { LocalState } from '../versions/local-state';
import type { AppContext } from './context';
import type { Operation } from './operations';
import { refuseRepositoryPath } from './repository-paths';

/** The tracked course named by `ref` (its id or its name); untracked ones too with `anyState` (their history stays readable). */
export function findCourse(state: LocalState, ref: string, options: { anyState?: boolean; field?: string } = {}): TrackedFolder {
  const folders = state.folders.list().filter((f) => f.tracked || options.anyState);
  const found = folders.find((f) => f.id === ref) ?? folders.find((f) => f.name === ref && f.tracked) ?? folders.find((f) => f.name === ref);
  if (!found) throw new StrataError('NOT_FOUND', `There is no course "${ref}".`, options.field ?? 'course');
  return found;
}

function courseOf(ctx: AppContext, { state, history }: Versions, folder: TrackedFolder, policy: PlacementPolicy): Course {
  const live = history.current(folder.id, state.settled.view());
  let bytes = 0;
  for (const record of live.values()) bytes += record.size;
  let lastChange: string | undefined;
  for (const file of history.filesIn(folder.id)) {
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
    ...adoption(ctx, folder),
  };
}

/** For a course adopted from other devices whose deletions are not confirmed: so, and how many of its files its last scan did not find here. */
function adoption(ctx: AppContext, folder: TrackedFolder): Pick<Course, 'adopted' | 'notHere'> {
  if (folder.observed !== false) return {};
  const notHere = ctx.notices.notHere(folder);
  return { adopted: true, ...(notHere !== undefined ? { notHere } : {}) };
}

export async function listCourses(ctx: AppContext): Promise<Course[]> {
  const versions = await ctx.session.versions();
  const policy = await loadPolicy(ctx.session.dir);
  return (await trackedFolders(ctx.session)).map((f) => courseOf(ctx, versions, f, policy));
}

async function oneCourse(ctx: AppContext, folder: TrackedFolder): Promise<Course> {
  const versions = await ctx.session.versions();
  const current = versions.state.folders.list().find((f) => f.id === folder.id) ?? folder;
  return courseOf(ctx, versions, current, await loadPolicy(ctx.session.dir));
}

/** Tracks a folder and records its files now (an operation: it can take a while, and be cancelled). */
export async function addCourse(ctx: AppContext, path: string, name: string | undefined): Promise<Course> {
  const { session } = ctx;
  await refuseRepositoryPath(ctx, path, 'course', 'path');
  const folder = await session.exclusive(async () => {
    try {
      return await addFolder(session, path, name);
    } catch (error) {
      // The name refused is the one given, else the folder's own (its path's).
      const field = error instanceof ArgumentError && error.argument === 'name' && name !== undefined ? 'name' : 'path';
      if (error instanceof NameTakenError) throw new StrataError('INVALID_ARGUMENT', `A course named "${error.taken}" exists already; choose another name.`, field);
      throw withField(error, field);
    }
  });
  await ctx.coursesChanged();
  await scanCourses(ctx, [folder]);
  return oneCourse(ctx, folder);
}

export async function removeCourse(ctx: AppContext, ref: string): Promise<Course[]> {
  const { session } = ctx;
  await session.exclusive(async () => {
    const folder = findCourse((await session.versions()).state, ref);
    await removeFolder(session, folder.name);
  });
  await ctx.coursesChanged();
  return listCourses(ctx);
}

export async function pauseCourse(ctx: AppContext, ref: string, paused: boolean): Promise<Course> {
  const { session } = ctx;
  const folder = await session.exclusive(async () => {
    const f = findCourse((await session.versions()).state, ref);
    if ((f.paused === true) !== paused) await pauseFolder(session, f.id, paused);
    return f;
  });
  await ctx.coursesChanged();
  return oneCourse(ctx, folder);
}

/** Active or archived (the policy's `courses`, ops/tiers.ts); activating brings back the course's evicted current data. */
export async function setCourseState(ctx: AppContext, ref: string, state: 'active' | 'archived'): Promise<Course> {
  const folder = findCourse((await ctx.session.versions()).state, ref);
  const { fetched } = await setState(ctx.session, folder, state, { onChanged: () => ctx.coursesChanged() });
  if (fetched.objects > 0) void ctx.activity.add({ kind: 'migration', title: `Fetched back ${fetched.objects} packs of "${folder.name}"`, detail: `${fetched.bytes} bytes`, course: folder.id });
  return oneCourse(ctx, folder);
}

/** Records what changed in the given courses (default: the active ones) now. */
export async function scanCourses(ctx: AppContext, only?: TrackedFolder[]): Promise<{ versions: number }> {
  const { session } = ctx;
  const folders = only ?? (await activeFolders(session));
  if (folders.length === 0) return { versions: 0 };
  const result = await ctx.ops.run('scan', 'files', (op) => session.exclusive(() => scanWith(ctx, folders, op)), `Scanning ${folders.map((f) => f.name).join(', ')}`);
  await reportScan(ctx, folders, result);
  return { versions: result.versions.length };
}

/**
 * The user says a course adopted from other devices is whole here: the files
 * it lacks are recorded as deleted, now and from now on (`strata scan NAME
 * --confirm-deletions`). A scan, so it can take a while and be cancelled.
 */
export async function confirmDeletions(ctx: AppContext, ref: string): Promise<Course> {
  const { session } = ctx;
  const { state } = await session.versions();
  const folder = findCourse(state, ref);
  const result = await ctx.ops.run(
    'scan',
    'files',
    (op) => session.exclusive(() => scanWith(ctx, [folder], op, { confirmDeletions: true })),
    `Recording the deletions of ${folder.name}`,
  );
  const confirmed = state.folders.list().find((f) => f.id === folder.id) ?? folder;
  await reportScan(ctx, [confirmed], result);
  await ctx.coursesChanged({ watched: false });
  return oneCourse(ctx, confirmed);
}

async function scanWith(ctx: AppContext, folders: TrackedFolder[], op: Operation, options: { confirmDeletions?: boolean } = {}): Promise<ScanResult> {
  op.check();
  return scan(ctx.session, folders.map((f) => f.name), {
    settleMs: 0,
    signal: op.signal,
    onProgress: (p) => op.progress(p.files, undefined, p.path),
    ...(options.confirmDeletions ? { confirmDeletions: true } : {}),
  });
}

/** Activity items and events for what a scan found (here, or by the watcher): versions recorded, and notices; resolves once the courses are listed again, if they changed. */
export async function reportScan(ctx: AppContext, folders: TrackedFolder[], result: ScanResult): Promise<void> {
  // Read again: a scan may have changed a folder's state (its deletions confirmed).
  const { state } = await ctx.session.versions();
  const current = folders.map((f) => state.folders.list().find((g) => g.id === f.id) ?? f);
  const before = current.map((f) => ctx.notices.notHere(f) ?? -1).join();
  ctx.notices.scanned(current, result);
  // The count of files not here is part of a course as listed.
  const listed = current.map((f) => ctx.notices.notHere(f) ?? -1).join() !== before ? ctx.coursesChanged({ watched: false }) : undefined;
  if (result.versions.length > 0) reportVersions(ctx, current, result);
  await listed;
}

/** Activity items, and 'catalog.changed', for the versions a scan recorded (names as text: control characters escaped). */
function reportVersions(ctx: AppContext, folders: TrackedFolder[], result: ScanResult): void {
  for (const folder of folders) {
    const mine = result.versions.filter((v) => v.folder === folder.id);
    if (mine.length === 0) continue;
    const shown = mine.slice(0, 5).map((v) => `${v.op} ${printable(v.path)}`);
    void ctx.activity.add({
      kind: 'version',
      title: mine.length === 1 ? `${printable((mine[0] as { path: string }).path)} recorded in "${printable(folder.name)}"` : `${mine.length} versions recorded in "${printable(folder.name)}"`,
      detail: shown.join('\n') + (mine.length > shown.length ? `\n… and ${mine.length - shown.length} more` : ''),
      course: folder.id,
    });
  }
  ctx.historyChanged(result.versions.length);
}

/**
 * An engine refusal (INVALID_ARGUMENT, or NOT_FOUND of what the argument
 * names) as a StrataError naming the argument at fault, in the engine's words
 * (or as `word` puts them); anything else as it is.
 */
export function withField(error: unknown, field: string, word: (message: string) => string = (message) => message): unknown {
  if (error instanceof EngineError && (error.code === 'INVALID_ARGUMENT' || error.code === 'NOT_FOUND')) {
    return new StrataError(error.code, word(error.message), field);
  }
  return error;
}
