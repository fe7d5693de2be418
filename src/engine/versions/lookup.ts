// Finding things in the version history by the names users give them: the
// tracked folder a filesystem path is in, a tracked folder by its name, the
// files at or under a path, a version by number (`PATH@N`). Pure functions over
// this machine's state and the history; the errors say what to try instead.

import { relative, resolve, sep } from 'node:path';
import { EngineError } from '../errors';
import type { FileHistory, History } from './history';
import type { LocalState, TrackedFolder } from './local-state';
import { isBelow } from '../fs/paths';
import type { VersionRecord } from './records';

/** What lookups read: this machine's state (where folders are, what they hold) and the history. */
export interface StateAndHistory {
  readonly state: LocalState;
  readonly history: History;
}

/** Which folder a filesystem path (absolute or relative to the working directory) is in, and where. */
export function resolvePath(state: LocalState, path: string): { folder: TrackedFolder; rel: string } {
  const absolute = resolve(path);
  const candidates = state.folders.list().filter((f) => absolute === f.path || isBelow(absolute, f.path));
  // Tracked folders first; among them the deepest.
  candidates.sort((a, b) => Number(b.tracked) - Number(a.tracked) || b.path.length - a.path.length);
  const folder = candidates[0];
  if (!folder) throw new EngineError('NOT_FOUND', `${absolute} is not in a tracked folder (see \`strata folders\`)`);
  const rel = relative(folder.path, absolute).split(sep).join('/');
  return { folder, rel };
}

/** The tracked folder named `name`. */
export function trackedByName(state: LocalState, name: string): TrackedFolder {
  const folder = state.folders.list().find((f) => f.name === name && f.tracked);
  if (!folder) throw new EngineError('NOT_FOUND', `no tracked folder named "${name}" (see \`strata folders\`)`);
  return folder;
}

/** Refuses to change a folder that is not tracked any more (its history is still readable, and restorable elsewhere). */
export function assertTracked(folder: TrackedFolder): void {
  if (!folder.tracked) throw new EngineError('INVALID_ARGUMENT', `"${folder.name}" is not tracked any more: add it again, or restore with --target`);
}

/** Files at `rel` or below it in a folder ('' = all), each once. */
export function filesUnder({ state, history }: StateAndHistory, folder: TrackedFolder, rel: string): FileHistory[] {
  const exact = rel === '' ? undefined : history.fileAt(folder.id, rel, state.settled.view());
  if (exact) return [exact];
  const prefix = rel === '' ? '' : `${rel}/`;
  return history.filesIn(folder.id).filter((f) => f.versions.some((v) => v.path.startsWith(prefix)));
}

/** Version `n` of the file at `path` (its newest, as this machine's folder holds it, with n undefined). */
export function versionAt({ state, history }: StateAndHistory, path: string, n?: number): VersionRecord {
  const { folder, rel } = resolvePath(state, path);
  const view = state.settled.view();
  const file = history.fileAt(folder.id, rel, view);
  if (!file) throw new EngineError('NOT_FOUND', `no history for ${path}`);
  const record = n === undefined ? history.headOf(file, view) : file.versions.find((v) => v.n === n);
  if (!record) throw new EngineError('NOT_FOUND', `${path} has no version ${n} (it has 1 to ${file.versions.at(-1)?.n ?? 0})`);
  return record;
}

/** The file a version belongs to (every record's file is in the history it came from). */
export function fileOf(history: History, record: VersionRecord): FileHistory {
  const file = history.file(record.file);
  if (!file) throw new EngineError('NOT_FOUND', `no history for file ${record.file}`);
  return file;
}

/** Splits `PATH@N` into the path and version number (N undefined without a numeric suffix). */
export function parseVersionRef(ref: string): { path: string; n?: number } {
  const m = /^(.*)@(\d+)$/.exec(ref);
  if (!m || m[1] === '') return { path: ref };
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n < 1) throw new EngineError('INVALID_ARGUMENT', `bad version number in ${JSON.stringify(ref)}`);
  return { path: m[1] as string, n };
}
