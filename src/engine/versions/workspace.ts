// The version-history operations on a local repository's tracked folders:
// tracking and untracking folders, scanning them into versions, reading
// history back (log, one version's content, tags), and settling what other
// devices did after a sync (reconcile, conflicts). Hosts (the CLI, the
// service) call this; it ties together the local state, the history, the
// scanner and merging.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EngineError } from '../errors';
import { guardRestoreTarget, guardTrackedFolder, repositoryDirectory, RepositoryFence } from '../fs/repository-guard';
import type { Repository } from '../repo/repository';
import type { ContentClassOptions } from '../files/content-class';
import { loadPolicy } from '../tiers/policy';
import { blameText, diffBinary, diffText, plainTextDiff, type BinaryDiff, type BlameLine, type TextDiff } from './compare';
import { asText, versionContent } from './content';
import { versionText } from './text-history';
import { History, type DiskView, type FileHistory } from './history';
import { LocalState, type TrackedFolder } from './local-state';
import { findConflicts, reconcileFolders, type Conflict, type ReconcileResult } from './merge';
import type { VersionRecord } from './records';
import { fileSha256, putBack, removeIfHolds, stateAt, writeInto, type NotPutBack } from './put-back';
import { DEFAULT_SETTLE_MS, scanFolders, writeBatch, type ScanOptions, type ScanResult } from './scanner';
import { sha256Hex } from '../crypto/sha256';

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

/** One side of a comparison. */
export interface DiffSide {
  label: string;
  path: string;
  record?: VersionRecord;
  size: number;
  sha256: string;
  /** The content, when it is text. */
  text?: string;
  /** The first bytes of binary content on disk (for its type). */
  bytes?: Uint8Array;
}

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

export interface FolderSummary extends TrackedFolder {
  files: number;
  versions: number;
}

const FOLDER_NAME = /^[^/\\\0]{1,128}$/;

export class Workspace {
  private constructor(readonly repo: Repository, readonly state: LocalState, readonly history: History, private media: ContentClassOptions | undefined) {}

  /** Opens the history of the local repository `repo`, stored at `repositoryDir`. */
  static async open(repo: Repository, repositoryDir: string): Promise<Workspace> {
    const [state, history, policy] = await Promise.all([LocalState.load(repositoryDir), History.load(repo), loadPolicy(repositoryDir)]);
    // State from before other devices' versions were settled here: what is present counts as in place (as it did then).
    if (!state.diskView().applied) await state.setApplied(history.lastSeqs(), {});
    // The policy file's notion of media decides which pack lane a file's chunks go to.
    return new Workspace(repo, state, history, policy.media);
  }

  /** What counts as media from now on (the policy file changed): the pack lane of new chunks. */
  setMedia(media: ContentClassOptions | undefined): void {
    this.media = media;
  }

  /** What this machine's folders hold of the history. */
  private view(): DiskView {
    return this.state.diskView();
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
      return { ...f, files: files.filter((h) => (this.history.headOf(h)?.op ?? 'delete') !== 'delete').length, versions: files.reduce((n, h) => n + h.versions.length, 0) };
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
    await guardTrackedFolder(absolute, repositoryDirectory(this.repo)); // its scans would record the repository's own writes
    const folderName = name ?? basename(absolute);
    if (!FOLDER_NAME.test(folderName)) throw new EngineError('INVALID_ARGUMENT', `folder name ${JSON.stringify(folderName)} must be 1 to 128 characters without slashes`);
    const existing = this.state.folders();
    const samePlace = existing.find((f) => f.path === absolute);
    if (samePlace?.tracked) throw new EngineError('INVALID_ARGUMENT', `${absolute} is already tracked as "${samePlace.name}"`);
    const sameName = existing.find((f) => f.name === folderName && f.tracked);
    if (sameName) throw new EngineError('INVALID_ARGUMENT', `a tracked folder is already named "${folderName}"; choose another with --name`);
    const nested = existing.find((f) => f.tracked && (isInside(absolute, f.path) || isInside(f.path, absolute)));
    if (nested) throw new EngineError('INVALID_ARGUMENT', `${absolute} overlaps the tracked folder "${nested.name}" (${nested.path})`);
    // A folder known from history by this name (tracked on another device, or here before) continues its history.
    const known = this.history.folders().find((f) => f.name === folderName && !existing.some((e) => e.id === f.id && e.tracked));
    const adopted = !samePlace && known !== undefined && this.history.filesIn(known.id).length > 0;
    const folder: TrackedFolder = { id: samePlace?.id ?? known?.id ?? randomBytes(16).toString('hex'), name: folderName, path: absolute, tracked: true, ...(adopted ? { observed: false } : {}) };
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

  /**
   * Records every change in the named tracked folders (all of them by default).
   * In a folder adopted from another device, files missing here are not
   * recorded as deleted (they are not here yet) until `confirmDeletions`
   * says the folder is whole as it is (or a full restore of it ran).
   */
  async scan(names: string[] = [], options: Omit<ScanOptions, 'folders' | 'author'> & { confirmDeletions?: boolean } = {}): Promise<ScanResult> {
    const { confirmDeletions, ...scanOptions } = options;
    let folders = names.length > 0 ? names.map((n) => this.trackedByName(n)) : this.state.folders().filter((f) => f.tracked);
    if (folders.length === 0) throw new EngineError('INVALID_ARGUMENT', 'no folders are tracked yet: add one with `strata add PATH`');
    if (confirmDeletions) {
      for (const f of folders) await this.state.setObserved(f.id);
      folders = folders.map((f) => this.trackedByName(f.name));
    }
    return scanFolders(this.repo, this.state, this.history, { ...scanOptions, folders, author: this.author(), view: this.view(), ...(this.media ? { media: this.media } : {}) });
  }

  /**
   * Settles what other devices did, after a sync: reads the batches that
   * arrived, records local changes first (so nothing is lost), then puts
   * other devices' versions in place, merges concurrent text edits and
   * reports conflicts (merge.ts). Cheap when nothing arrived.
   */
  async reconcile(options: { settleMs?: number; onWarning?: ScanOptions['onWarning'] } = {}): Promise<ReconcileResult> {
    await this.history.refresh(this.repo);
    // Index objects that came with the batches (they name the blobs of other devices' versions); a damaged one is check's to report.
    await this.repo.loadIndex(() => undefined);
    // Folders adopted from another device are settled too, in the files they have (merge.ts).
    const folders = this.state.folders().filter((f) => f.tracked);
    if (folders.length === 0) {
      await this.state.setApplied(this.history.lastSeqs(), this.view().holding ?? {});
      return { versions: [], written: [], removed: [], conflicts: [], waiting: [], kept: [], caughtUp: [] };
    }
    await this.scan(folders.map((f) => f.name), { settleMs: options.settleMs ?? DEFAULT_SETTLE_MS, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
    return reconcileFolders(this.repo, this.state, this.history, { folders, author: this.author() });
  }

  /** Open conflicts in the tracked folders: versions of a file with different content that do not merge (the user chooses one by recording a version). */
  conflicts(): Conflict[] {
    return findConflicts(this.history, this.state.folders().filter((f) => f.tracked));
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
    const file = this.history.fileAt(folder.id, rel, this.view());
    if (!file) throw new EngineError('NOT_FOUND', `no history for ${path}`);
    const record = n === undefined ? this.history.headOf(file, this.view()) : file.versions.find((v) => v.n === n);
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

  /**
   * Makes version `n` of a file current again, on disk and as a new version
   * (history is never rewritten). Unrecorded changes to the file are recorded
   * first, so nothing is lost.
   */
  async rollback(path: string, n: number, message?: string): Promise<RestoreOutcome> {
    const { folder } = this.resolvePath(path);
    const target = this.version(path, n);
    if (target.op === 'delete') throw new EngineError('INVALID_ARGUMENT', `version ${n} of ${target.path} is its deletion; roll back to version ${n - 1} instead`);
    const file = this.history.file(target.file) as FileHistory;
    this.assertTracked(folder);
    await this.scan([folder.name], { settleMs: 0 }); // unrecorded local changes become versions first
    const newest = this.history.headOf(file, this.view()) ?? target;
    const rel = newest.op === 'delete' ? target.path : newest.path; // keeps a rename made since
    await writeInto(folder.path, rel, versionContent(this.repo, file, target), target.mode, await this.fence());
    const intents = new Map([[`${folder.id}/${rel}`, { op: 'rollback' as const, message: message ?? `rolled back to version ${n}`, file }]]);
    const result = await this.scan([folder.name], { settleMs: 0, intents });
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
  async restoreVersions(path: string, options: { version?: number; at?: Date; target?: string; signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<RestoreOutcome> {
    if ((options.version === undefined) === (options.at === undefined)) throw new EngineError('INVALID_ARGUMENT', 'give exactly one of --version N and --at TIME');
    const { folder, rel } = this.resolvePath(path);
    const single = rel !== '' ? this.history.fileAt(folder.id, rel, this.view()) : undefined;
    let wanted: Map<string, { file: FileHistory; record: VersionRecord }>;
    if (options.version !== undefined) {
      if (!single) throw new EngineError('NOT_FOUND', `no history for ${path} (--version needs a file; use --at for folders)`);
      const record = this.version(path, options.version);
      if (record.op === 'delete') throw new EngineError('INVALID_ARGUMENT', `version ${options.version} of ${record.path} is its deletion; restore version ${options.version - 1}`);
      wanted = new Map([[rel, { file: single, record }]]);
    } else {
      const files = single ? [single] : this.filesUnder(folder, rel);
      const all = stateAt(files, options.at as Date);
      wanted = single ? new Map([...all.values()].map((e) => [rel, e])) : all;
      if (wanted.size === 0 && single) throw new EngineError('NOT_FOUND', `${path} did not exist at ${(options.at as Date).toISOString()}`);
    }
    const what = options.version !== undefined ? `restored version ${options.version}` : `restored as of ${(options.at as Date).toISOString()}`;
    if (options.target !== undefined) {
      // Elsewhere: paths below the given one, under the target; nothing in the folder changes.
      const base = single ? rel.slice(0, rel.lastIndexOf('/') + 1) : rel === '' ? '' : `${rel}/`;
      const files = [...wanted].map(([at, version]): [string, { file: FileHistory; record: VersionRecord }] => [at.slice(base.length), version]);
      return this.restoreTo(options.target, files, options);
    }
    this.assertTracked(folder);
    await this.scan([folder.name], { settleMs: 0 }); // unrecorded local changes become versions first
    const live = this.history.current(folder.id, this.view());
    const fence = await this.fence();
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
      const put = await putBack(folder.path, at, versionContent(this.repo, file, record), record.mode, fence);
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
        intents.set(`${folder.id}/${current}`, { op: 'restore', message: what, file: this.history.file(record.file) as FileHistory });
        removed.push(current);
      }
    }
    // A whole adopted folder put as it was: it is now whole here, and what goes missing from now on is deleted.
    // Not when files could not be put back: they are still missing here, and must not be recorded as deleted.
    const whole = damaged.length + refused.length === 0;
    if (!single && rel === '' && options.at !== undefined && !options.signal?.aborted && whole) await this.state.setObserved(folder.id);
    const result = written.length + removed.length > 0 ? await this.scan([folder.name], { settleMs: 0, intents, message: what }) : undefined;
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
  async restoreTo(
    target: string,
    files: Array<[string, { file: FileHistory; record: VersionRecord }]>,
    options: { signal?: AbortSignal; onProgress?: (done: number, total: number, path: string) => void } = {},
  ): Promise<RestoreOutcome> {
    const root = resolve(target);
    await guardRestoreTarget(root, repositoryDirectory(this.repo));
    await mkdir(root, { recursive: true });
    const fence = await this.fence();
    const outcome: RestoreOutcome = { written: [], removed: [], versions: [], target: root, damaged: [], refused: [] };
    let done = 0;
    for (const [path, { file, record }] of [...files].sort((a, b) => a[0].localeCompare(b[0]))) {
      options.signal?.throwIfAborted();
      const put = await putBack(root, path, versionContent(this.repo, file, record), record.mode, fence);
      if (put === 'written') outcome.written.push(path);
      else if ('damaged' in put) outcome.damaged.push({ path, message: put.damaged });
      else outcome.refused.push({ path, message: put.refused });
      options.onProgress?.(++done, files.length, path);
    }
    return outcome;
  }

  /** The repository's folder, for restores to keep out of (none for a repository that is not on this machine's disk). */
  private fence(): Promise<RepositoryFence | undefined> {
    return RepositoryFence.around(repositoryDirectory(this.repo));
  }

  /**
   * Compares version `a` of a file with version `b`, or with the file on disk
   * when `b` is undefined. Text: attributed hunks; binary: sizes, types, chunks.
   */
  async diff(path: string, a: number | undefined, b?: { path: string; n?: number }): Promise<{ from: DiffSide; to: DiffSide; diff: TextDiff | BinaryDiff }> {
    const fromRecord = this.version(path, a);
    const file = this.history.file(fromRecord.file) as FileHistory;
    const from = await this.sideOf(file, fromRecord);
    let to: DiffSide;
    if (b) {
      const toRecord = this.version(b.path, b.n);
      to = await this.sideOf(this.history.file(toRecord.file) as FileHistory, toRecord);
    } else {
      to = await this.diskSide(path, file);
    }
    if (from.text !== undefined && to.text !== undefined) {
      const sameFile = to.record ? to.record.file === fromRecord.file : true;
      const attributed = sameFile ? await diffText(this.repo, file, { record: fromRecord }, to.record ? { record: to.record } : { disk: to.text, ...this.diskBase(file) }) : undefined;
      return { from, to, diff: attributed ?? plainTextDiff(from.text, to.text) };
    }
    return {
      from, to,
      diff: await diffBinary(this.repo,
        { record: fromRecord, size: from.size, sha256: from.sha256, path: from.path },
        { ...(to.record ? { record: to.record } : {}), ...(to.bytes ? { bytes: to.bytes } : {}), size: to.size, sha256: to.sha256, path: to.path }),
    };
  }

  /** Per line of a text file: the version (and author) that last changed it; unrecorded changes on disk show as such. */
  async blame(path: string, n?: number): Promise<BlameLine[]> {
    const record = this.version(path, n);
    const file = this.history.file(record.file) as FileHistory;
    if (!record.yjs) throw new EngineError('INVALID_ARGUMENT', `${record.path}@${record.n} is not text: blame is for text files`);
    if (n === undefined) {
      const disk = await this.diskSide(path, file);
      if (disk.text !== undefined && disk.sha256 !== record.sha256) return blameText(this.repo, file, { disk: disk.text, after: record });
    }
    return blameText(this.repo, file, { record });
  }

  private async sideOf(file: FileHistory, record: VersionRecord): Promise<DiffSide> {
    if (record.op === 'delete') return { label: `${record.path}@${record.n} (deleted)`, path: record.path, record, size: 0, sha256: '', text: '' };
    const base = { label: `${record.path}@${record.n}`, path: record.path, record, size: record.size, sha256: record.sha256 };
    if (record.yjs) return { ...base, text: await versionText(this.repo, file, record) };
    return base;
  }

  /** The version the file on disk follows (for attributing its unrecorded changes). */
  private diskBase(file: FileHistory): { after?: VersionRecord } {
    const head = this.history.headOf(file, this.view());
    return head ? { after: head } : {};
  }

  private async diskSide(path: string, file: FileHistory): Promise<DiffSide> {
    const { folder } = this.resolvePath(path);
    const newest = (this.history.headOf(file, this.view()) ?? file.versions.at(-1)) as VersionRecord;
    const rel = newest.path;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(folder.path, ...rel.split('/'))));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
      return { label: `${rel} (not on disk)`, path: rel, size: 0, sha256: '', text: '' };
    }
    const text = asText(bytes);
    const sha256 = sha256Hex(bytes);
    return { label: `${rel} (on disk)`, path: rel, size: bytes.length, sha256, ...(text !== undefined ? { text } : { bytes: bytes.subarray(0, 64 * 1024) }) };
  }

  async tag(path: string, n: number, tag: string): Promise<void> {
    const value = tag.trim();
    if (value === '' || value.length > 256) throw new EngineError('INVALID_ARGUMENT', 'a tag must be 1 to 256 characters');
    const record = this.version(path, n);
    await writeBatch(this.repo, this.state, this.history, [{ kind: 'tag', file: record.file, n: record.n, version: this.history.refOf(record), tag: value, time: new Date().toISOString(), author: this.author(), device: this.state.device }]);
  }

  private assertTracked(folder: TrackedFolder): void {
    if (!folder.tracked) throw new EngineError('INVALID_ARGUMENT', `"${folder.name}" is not tracked any more: add it again, or restore with --target`);
  }

  private trackedByName(name: string): TrackedFolder {
    const folder = this.state.folders().find((f) => f.name === name && f.tracked);
    if (!folder) throw new EngineError('NOT_FOUND', `no tracked folder named "${name}" (see \`strata folders\`)`);
    return folder;
  }

  /** Files at `rel` or below it in a folder ('' = all), each once. */
  private filesUnder(folder: TrackedFolder, rel: string): FileHistory[] {
    const exact = rel === '' ? undefined : this.history.fileAt(folder.id, rel, this.view());
    if (exact) return [exact];
    const prefix = rel === '' ? '' : `${rel}/`;
    return this.history.filesIn(folder.id).filter((f) => f.versions.some((v) => v.path.startsWith(prefix)));
  }
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
