// Reading the version history back, and tagging it: a file's (or a folder's)
// versions with filters, one version by number, a version's content, its tags,
// and what the history lacks (damaged or missing batches). Also the parsers
// hosts need for what users type: `PATH@N` and times ("3 days ago").

import { EngineError } from '../errors';
import { versionContent } from '../versions/content';
import type { HistoryProblem } from '../versions/history';
import { fileOf, filesUnder, resolvePath, versionAt } from '../versions/lookup';
import type { VersionRecord } from '../versions/records';
import { writeBatch } from '../versions/scanner';
import { authorOf } from './author';
import type { Session } from './session';

export { parseVersionRef } from '../versions/lookup';
export { parseWhen } from '../versions/when';
export type { HistoryProblem } from '../versions/history';
export type { VersionRecord } from '../versions/records';

export interface LogFilter {
  since?: Date;
  until?: Date;
  /** Substring of the author, case-insensitive. */
  author?: string;
  tag?: string;
}

export interface LogEntry {
  folder: string;
  record: VersionRecord;
  tags: string[];
}

/** History of a file, or of every file under a folder path, newest first, filtered. */
export async function log(s: Session, path: string, filter: LogFilter = {}): Promise<LogEntry[]> {
  const v = await s.versions();
  const { folder, rel } = resolvePath(v.state, path);
  const files = filesUnder(v, folder, rel);
  if (files.length === 0) throw new EngineError('NOT_FOUND', `no history for ${path}`);
  const entries: LogEntry[] = [];
  for (const file of files) {
    for (const record of file.versions) {
      const tags = file.tags.get(record.n) ?? [];
      const time = new Date(record.time);
      if (filter.since && time < filter.since) continue;
      if (filter.until && time > filter.until) continue;
      if (filter.author && !record.author.toLowerCase().includes(filter.author.toLowerCase())) continue;
      if (filter.tag && !tags.includes(filter.tag)) continue;
      entries.push({ folder: folder.name, record, tags });
    }
  }
  return entries.sort((a, b) => b.record.time.localeCompare(a.record.time) || b.record.n - a.record.n || a.record.path.localeCompare(b.record.path));
}

/** Version `n` of the file at `path` (its newest with n undefined). */
export async function version(s: Session, path: string, n?: number): Promise<VersionRecord> {
  return versionAt(await s.versions(), path, n);
}

/** The tags of a version. */
export async function tagsOf(s: Session, record: VersionRecord): Promise<string[]> {
  return (await s.versions()).history.file(record.file)?.tags.get(record.n) ?? [];
}

/** The content of a version, chunk by chunk (a deletion has none: refused before anything is read). */
export async function* content(s: Session, record: VersionRecord): AsyncGenerator<Uint8Array> {
  if (record.op === 'delete') throw new EngineError('INVALID_ARGUMENT', `version ${record.n} of ${record.path} is its deletion: it has no content (try version ${record.n - 1})`);
  const { history } = await s.versions();
  yield* versionContent(s.repo, fileOf(history, record), record);
}

/** Tags version `n` of the file at `path` (1 to 256 characters, trimmed). */
export async function tag(s: Session, path: string, n: number, name: string): Promise<void> {
  const value = name.trim();
  if (value === '' || value.length > 256) throw new EngineError('INVALID_ARGUMENT', 'a tag must be 1 to 256 characters');
  const v = await s.versions();
  const record = versionAt(v, path, n);
  const { state, history } = v;
  await writeBatch(s.repo, state, history, [{ kind: 'tag', file: record.file, n: record.n, version: history.refOf(record), tag: value, time: new Date().toISOString(), author: authorOf(state), device: state.batches.device }]);
}

/**
 * Version batches the history lacks (damaged, or missing: named by a later
 * batch or by this machine's own writes): their versions are not shown, and
 * nothing new is recorded until they are back or recorded as lost.
 */
export async function historyProblems(s: Session): Promise<HistoryProblem[]> {
  const { state, history } = await s.versions();
  return history.problems(state.batches);
}
