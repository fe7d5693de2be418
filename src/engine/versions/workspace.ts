// The version-history operations on a local repository's tracked folders:
// tracking and untracking folders, scanning them into versions, and reading
// history back (log, one version's content, tags). Hosts (the CLI, the
// service) call this; it ties together the local state, the history and the
// scanner.

import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { EngineError } from '../errors';
import type { Repository } from '../repo/repository';
import { versionContent } from './content';
import { History, type FileHistory } from './history';
import { LocalState, type TrackedFolder } from './local-state';
import type { VersionRecord } from './records';
import { scanFolders, writeBatch, type ScanOptions, type ScanResult } from './scanner';

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

export interface FolderSummary extends TrackedFolder {
  files: number;
  versions: number;
}

const FOLDER_NAME = /^[^/\\\0]{1,128}$/;

export class Workspace {
  private constructor(readonly repo: Repository, readonly state: LocalState, readonly history: History) {}

  /** Opens the history of the local repository `repo`, stored at `repositoryDir`. */
  static async open(repo: Repository, repositoryDir: string): Promise<Workspace> {
    const [state, history] = await Promise.all([LocalState.load(repositoryDir), History.load(repo)]);
    return new Workspace(repo, state, history);
  }

  /** The author recorded in new versions: $STRATA_AUTHOR, the configured one, or user@host. */
  author(): string {
    const fromEnv = process.env.STRATA_AUTHOR?.trim();
    if (fromEnv) return fromEnv;
    if (this.state.author) return this.state.author;
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // no passwd entry
    }
    return `${user}@${hostname()}`;
  }

  async setAuthor(author: string): Promise<void> {
    const value = author.trim();
    if (value === '' || value.length > 512) throw new EngineError('INVALID_ARGUMENT', 'author must be 1 to 512 characters, like "Ada Lovelace <ada@example.org>"');
    await this.state.setAuthor(value);
  }

  folders(): FolderSummary[] {
    return this.state.folders().map((f) => {
      const files = this.history.filesIn(f.id);
      return { ...f, files: files.filter((h) => h.versions.at(-1)?.op !== 'delete').length, versions: files.reduce((n, h) => n + h.versions.length, 0) };
    });
  }

  /** Starts tracking a folder (or tracks a removed one again). */
  async addFolder(path: string, name?: string): Promise<TrackedFolder> {
    const absolute = resolve(path);
    let st;
    try {
      st = await stat(absolute);
    } catch {
      throw new EngineError('NOT_FOUND', `no folder at ${absolute}`);
    }
    if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `${absolute} is not a folder`);
    const folderName = name ?? basename(absolute);
    if (!FOLDER_NAME.test(folderName)) throw new EngineError('INVALID_ARGUMENT', `folder name ${JSON.stringify(folderName)} must be 1 to 128 characters without slashes`);
    const existing = this.state.folders();
    const samePlace = existing.find((f) => f.path === absolute);
    if (samePlace?.tracked) throw new EngineError('INVALID_ARGUMENT', `${absolute} is already tracked as "${samePlace.name}"`);
    const sameName = existing.find((f) => f.name === folderName && f.tracked);
    if (sameName) throw new EngineError('INVALID_ARGUMENT', `a tracked folder is already named "${folderName}"; choose another with --name`);
    const nested = existing.find((f) => f.tracked && (isInside(absolute, f.path) || isInside(f.path, absolute)));
    if (nested) throw new EngineError('INVALID_ARGUMENT', `${absolute} overlaps the tracked folder "${nested.name}" (${nested.path})`);
    const folder: TrackedFolder = { id: samePlace?.id ?? randomBytes(16).toString('hex'), name: folderName, path: absolute, tracked: true };
    await writeBatch(this.repo, this.state, this.history, [{ kind: 'folder', folder: folder.id, name: folder.name, op: 'add', time: new Date().toISOString(), device: this.state.device }]);
    await this.state.addFolder(folder);
    return folder;
  }

  /** Stops tracking a folder; its history stays. */
  async removeFolder(name: string): Promise<TrackedFolder> {
    const folder = this.trackedByName(name);
    await writeBatch(this.repo, this.state, this.history, [{ kind: 'folder', folder: folder.id, name: folder.name, op: 'remove', time: new Date().toISOString(), device: this.state.device }]);
    await this.state.setTracked(folder.id, false);
    return { ...folder, tracked: false };
  }

  /** Records every change in the named tracked folders (all of them by default). */
  async scan(names: string[] = [], options: Omit<ScanOptions, 'folders' | 'author'> = {}): Promise<ScanResult> {
    const folders = names.length > 0 ? names.map((n) => this.trackedByName(n)) : this.state.folders().filter((f) => f.tracked);
    if (folders.length === 0) throw new EngineError('INVALID_ARGUMENT', 'no folders are tracked yet: add one with `strata add PATH`');
    return scanFolders(this.repo, this.state, this.history, { ...options, folders, author: this.author() });
  }

  /** Which folder a filesystem path (absolute or relative to the working directory) is in, and where. */
  resolvePath(path: string): { folder: TrackedFolder; rel: string } {
    const absolute = resolve(path);
    const candidates = this.state.folders().filter((f) => absolute === f.path || isInside(absolute, f.path));
    // Tracked folders first; among them the deepest.
    candidates.sort((a, b) => Number(b.tracked) - Number(a.tracked) || b.path.length - a.path.length);
    const folder = candidates[0];
    if (!folder) throw new EngineError('NOT_FOUND', `${absolute} is not in a tracked folder (see \`strata folders\`)`);
    const rel = relative(folder.path, absolute).split(sep).join('/');
    return { folder, rel };
  }

  /** History of a file, or of every file under a folder path, newest first, filtered. */
  log(path: string, filter: LogFilter = {}): LogEntry[] {
    const { folder, rel } = this.resolvePath(path);
    const files = this.filesUnder(folder, rel);
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
  version(path: string, n?: number): VersionRecord {
    const { folder, rel } = this.resolvePath(path);
    const file = this.history.fileAt(folder.id, rel);
    if (!file) throw new EngineError('NOT_FOUND', `no history for ${path}`);
    const record = n === undefined ? file.versions.at(-1) : file.versions.find((v) => v.n === n);
    if (!record) throw new EngineError('NOT_FOUND', `${path} has no version ${n} (it has 1 to ${file.versions.at(-1)?.n ?? 0})`);
    return record;
  }

  /** The content of a version, chunk by chunk. */
  content(record: VersionRecord): AsyncGenerator<Uint8Array> {
    if (record.op === 'delete') throw new EngineError('INVALID_ARGUMENT', `version ${record.n} of ${record.path} is its deletion: it has no content (try version ${record.n - 1})`);
    const file = this.history.file(record.file);
    if (!file) throw new EngineError('NOT_FOUND', `no history for file ${record.file}`);
    return versionContent(this.repo, file, record);
  }

  async tag(path: string, n: number, tag: string): Promise<void> {
    const value = tag.trim();
    if (value === '' || value.length > 256) throw new EngineError('INVALID_ARGUMENT', 'a tag must be 1 to 256 characters');
    const record = this.version(path, n);
    await writeBatch(this.repo, this.state, this.history, [{ kind: 'tag', file: record.file, n: record.n, tag: value, time: new Date().toISOString(), author: this.author(), device: this.state.device }]);
  }

  private trackedByName(name: string): TrackedFolder {
    const folder = this.state.folders().find((f) => f.name === name && f.tracked);
    if (!folder) throw new EngineError('NOT_FOUND', `no tracked folder named "${name}" (see \`strata folders\`)`);
    return folder;
  }

  /** Files at `rel` or below it in a folder ('' = all), each once. */
  private filesUnder(folder: TrackedFolder, rel: string): FileHistory[] {
    const exact = rel === '' ? undefined : this.history.fileAt(folder.id, rel);
    if (exact) return [exact];
    const prefix = rel === '' ? '' : `${rel}/`;
    return this.history.filesIn(folder.id).filter((f) => f.versions.some((v) => v.path.startsWith(prefix)));
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Splits `PATH@N` into the path and version number (N undefined without a numeric suffix). */
export function parseVersionRef(ref: string): { path: string; n?: number } {
  const m = /^(.*)@(\d+)$/.exec(ref);
  if (!m || m[1] === '') return { path: ref };
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n < 1) throw new EngineError('INVALID_ARGUMENT', `bad version number in ${JSON.stringify(ref)}`);
  return { path: m[1] as string, n };
}
