// One pass over tracked folders that turns every change since the last pass
// into versions: new files, edits, renames and moves (a file keeps its id),
// and deletions. Unchanged files are told by their stat (size, mtime, ctime,
// inode) and not read. A file that changes while it is read (or, for
// background passes, was modified within their quiet time) is left for a
// later pass: a version is never a half-written file. A name that cannot be
// recorded (not valid UTF-8, a backslash) is warned about and counted, never
// passed over in silence. Packs, then index, then the batch naming them are
// written, as for snapshots, so a crash leaves nothing that names missing data.
// What the disk is compared with is the version this machine holds of each
// file (a DiskView): other devices' versions not yet put in place here are
// neither unchanged nor deleted files. A new version follows that version,
// or every head when it answers a conflict (merge.ts). In a folder adopted
// from another device, a copy met here for the first time whose content is
// an earlier version of its file (an old export) is that version, behind:
// no version is recorded, so it never overwrites the newer file elsewhere,
// and settling puts the current version in place (merge.ts).

import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { Limiter } from '../async/limiter';
import { EngineError, errorMessage } from '../errors';
import { BlobStore } from '../repo/blob-store';
import type { Repository } from '../repo/repository';
import { AlreadyExistsError } from '../storage/backend';
import { FileStore } from '../files/file-store';
import { contentClass, type ContentClassOptions } from '../files/content-class';
import { asText, TEXT_LIMIT, versionBytes } from './content';
import type { DiskView, FileHistory, History } from './history';
import { IgnoreRules } from './ignore-rules';
import type { LocalState, TrackedFolder } from './local-state';
import { sameKey, statKey, type StatKey } from './state/seen';
import { BATCH_FORMAT, batchName, encodeBatch, isSafeRelativePath, type Batch, type HistoryRecord, type LostBatch, type VersionRecord, type YjsRef } from './records';
import { LostHistoryError, rebuildDoc, rebuildUnion, recordText, sameTextHistory, textOf } from './text-history';
import { addedSummary, changeSummary } from './summary';
import { sha256Hex } from '../crypto/sha256';

export interface ScanOptions {
  /** The folders to scan (tracked ones). */
  folders: TrackedFolder[];
  author: string;
  /** The user's description of every version of this pass (shown instead of the generated summary, which is kept). */
  message?: string;
  /** Free metadata recorded with every version of this pass. */
  meta?: Record<string, string>;
  /** Tags given to every version of this pass. */
  tags?: string[];
  /**
   * Files modified less than this long ago are left for the next pass. Default
   * 0: an explicit scan records what holds still while it is read; background
   * passes (the watcher, settling after a sync) give their quiet time.
   */
  settleMs?: number;
  /**
   * What a pass is for, by `<folder id>/<path>`: the operation to record
   * (rollback, restore) instead of edit or add, a message, and the file whose
   * history a file at a now-empty path continues (a deleted file put back).
   */
  intents?: Map<string, ScanIntent>;
  onProgress?: (progress: { files: number; path: string }) => void;
  onWarning?: (path: string, message: string) => void;
  /** Stops the pass between files: what was stored is indexed, no version is recorded, and the pass rejects with the signal's reason. */
  signal?: AbortSignal;
  now?: () => number;
  /** Which versions this machine's folders hold (default: every version, the newest head of each file). */
  view?: DiskView;
  /** What counts as media (the policy file's override), for pack lanes. */
  media?: ContentClassOptions;
}

export interface ScanIntent {
  op: VersionRecord['op'];
  message?: string;
  file?: FileHistory;
}

export interface ScanResult {
  /** Name of the batch written, if anything changed. */
  batch?: string;
  versions: VersionRecord[];
  unchanged: number;
  /** Folder-relative paths (with the folder's name) still being written: left for the next pass. */
  settling: string[];
  /**
   * Files in history, missing from a folder adopted from another device whose
   * deletions are not confirmed (`TrackedFolder.observed`): not here yet, so
   * not recorded as deleted. With the folder's name.
   */
  notHere: string[];
  /** Files and folders not recorded because their names cannot be (invalid UTF-8 bytes shown as \xNN); each is also a warning. With the folder's name. */
  unrecordable: string[];
  /**
   * Copies in a folder adopted from another device (not yet observed), met
   * here for the first time, whose content is an earlier version of their
   * file: `version`, while `current` is the file's newest (a deletion, if it
   * was deleted since). Not edits: nothing is recorded for them, this disk
   * holds `version`, and settling (after a sync) puts the current one in
   * place. With the folder's name, at the path of the copy.
   */
  behind: Array<{ path: string; version: number; current: number }>;
  warnings: number;
}

/** Quiet time of background passes: settling after a sync (the watcher has its own, `--delay`). */
export const DEFAULT_SETTLE_MS = 2000;

interface Found {
  path: string;
  st: Stats;
}

/** Records changes in `options.folders` as one batch of versions. */
export async function scanFolders(repo: Repository, state: LocalState, history: History, options: ScanOptions): Promise<ScanResult> {
  history.assertWritable(state.batches); // not on a history read in part (before anything is stored or put on disk)
  await repo.ensureIndex();
  const store = new BlobStore(repo);
  const files = new FileStore(repo, store);
  const now = options.now ?? Date.now;
  const settleMs = options.settleMs ?? 0;
  const result: ScanResult = { versions: [], unchanged: 0, settling: [], notHere: [], unrecordable: [], behind: [], warnings: 0 };
  const warn = (path: string, message: string): void => {
    result.warnings++;
    options.onWarning?.(path, message);
  };
  const time = new Date(now()).toISOString();
  const seenUpdates = new Map<string, Record<string, StatKey>>();
  /** Files found behind (see ScanResult.behind): the version this disk holds of each, as a record ref. */
  const held: Record<string, string> = {};
  let progress = 0;

  for (const folder of options.folders) {
    if (options.signal?.aborted) break;
    const rules = await IgnoreRules.forFolder(folder.path);
    const found = await walk(folder.path, rules, warn, (path) => result.unrecordable.push(`${folder.name}/${path}`));
    const live = history.current(folder.id, options.view);
    const seen: Record<string, StatKey> = {};
    const added: Array<{ found: Found; stored: Stored }> = [];
    const limiter = new Limiter(4);

    const changed = await Promise.all(found.map((entry) => limiter.run(async (): Promise<VersionRecord | undefined> => {
      if (options.signal?.aborted) return undefined;
      options.onProgress?.({ files: ++progress, path: entry.path });
      const intent = options.intents?.get(`${folder.id}/${entry.path}`);
      // A file put back at a path that is empty now continues its own history.
      const heldDeleted = intent?.file ? history.headOf(intent.file, options.view) : undefined;
      const prev = live.get(entry.path) ?? (heldDeleted?.op === 'delete' ? heldDeleted : undefined);
      const key = statKey(entry.st);
      if (prev && (sameKey(key, [prev.size, prev.mtimeMs, prev.ctimeMs, prev.inode]) || sameKey(key, state.seen.get(folder.id, entry.path)))) {
        if (!sameKey(key, [prev.size, prev.mtimeMs, prev.ctimeMs, prev.inode])) seen[entry.path] = key;
        result.unchanged++;
        return undefined;
      }
      // Not read in this pass: a file seen here before stays seen (it is not met for the first time again: earlierCopy).
      const notRead = (): undefined => {
        const was = state.seen.get(folder.id, entry.path);
        if (was) seen[entry.path] = was;
        return undefined;
      };
      const later = (): undefined => {
        result.settling.push(`${folder.name}/${entry.path}`);
        return notRead();
      };
      if (settleMs > 0 && now() - entry.st.mtimeMs < settleMs) return later();
      // Pack lanes: a folder's media and text have different lifetimes and tiers (BlobStore).
      const stored = await storeSettled(files, join(folder.path, entry.path), warn, (size) => `${folder.id}:${contentClass(entry.path, size, options.media)}`);
      if (stored === 'changing') return later();
      if (!stored) return notRead();
      const follows = prev ? following(prev) : undefined;
      // Same content: no version, unless the user put it back on purpose to answer a conflict.
      if (prev && prev.sha256 === stored.sha256 && !(intent && follows?.conflict)) {
        seen[entry.path] = statKey(stored.st); // touched, same content: no version
        result.unchanged++;
        return undefined;
      }
      if (!prev || !follows) {
        added.push({ found: entry, stored });
        return undefined;
      }
      // A copy from before (an old export) of a file this machine meets for the first time: behind, not an edit.
      const was = intent ? undefined : earlierCopy(folder, history.file(prev.file) as FileHistory, prev, entry.path, stored.sha256);
      if (was) {
        holdBehind(folder, seen, entry.path, stored, was);
        return undefined;
      }
      const { fields, before } = await contentFields(prev, follows.parents, stored, folder.id);
      const summary = prev.op === 'delete' ? addedSummary(stored.size, stored.text) : changeSummary(entry.path, before, describeNew(stored));
      const record = version(prev.file, folder.id, follows.parents, entry.path, intent?.op ?? 'edit', stored, fields, summary);
      return intent?.message ? { ...record, message: intent.message } : record;
    })));
    for (const v of changed) if (v) result.versions.push(v);
    if (options.signal?.aborted) break;

    // Files gone from their path: renamed or moved (same inode, or same content), else deleted.
    const onDisk = new Set(found.map((f) => f.path));
    const missing = [...live.values()].filter((v) => !onDisk.has(v.path) && !rules.ignores(v.path));
    // A folder adopted from another device whose deletions are not confirmed: what is missing is not
    // here yet, not deleted (except what this pass's operation removed or moved on purpose: a restore).
    const adopted = folder.observed === false;
    const meant = new Set([...(options.intents ?? new Map<string, ScanIntent>()).values()].map((i) => i.file?.file));
    const gone = adopted ? missing.filter((v) => options.intents?.has(`${folder.id}/${v.path}`) || meant.has(v.file)) : missing;
    // Files renamed or deleted since the version a copy here is (same path, same content): behind as well.
    const earlier = adopted && added.length > 0 ? versionsByContent(folder.id) : new Map<string, VersionRecord[]>();
    const copyOfRenamed = (path: string, sha256: string): VersionRecord | undefined => {
      for (const v of (earlier.get(sha256) ?? []).filter((r) => r.path === path).sort((a, b) => b.time.localeCompare(a.time))) {
        const file = history.file(v.file) as FileHistory;
        const head = history.headOf(file, options.view);
        if (!head || held[file.file] !== undefined || gone.some((g) => g.file === file.file)) continue;
        // Renamed: its path now must be empty here (a file there is the one in place, and this a copy of its own).
        if (head.op !== 'delete' && (live.get(head.path) !== head || onDisk.has(head.path))) continue;
        const match = earlierCopy(folder, file, head, path, sha256);
        if (match) return match;
      }
      return undefined;
    };
    const goneByInode = new Map(gone.map((v) => [v.inode, v]));
    const goneBySha = new Map(gone.map((v) => [v.sha256, v]));
    const claimed = new Set<string>();
    for (const { found: entry, stored } of added.sort((a, b) => a.found.path.localeCompare(b.found.path))) {
      const intent = options.intents?.get(`${folder.id}/${entry.path}`);
      const was = adopted && !intent ? copyOfRenamed(entry.path, stored.sha256) : undefined;
      if (was) {
        holdBehind(folder, seen, entry.path, stored, was);
        continue;
      }
      // A file put back where it was at an earlier moment continues its history from its current path.
      let from = intent?.file ? gone.find((g) => g.file === intent.file?.file && !claimed.has(g.file)) : undefined;
      if (!from) {
        // Same inode and untouched content: a rename or move. (A new file may get a deleted file's
        // inode number, so the inode alone proves nothing; renamed-and-edited files match by nothing
        // and are recorded as a deletion and an addition.)
        from = goneByInode.get(entry.st.ino);
        if (from && (claimed.has(from.file) || from.mtimeMs !== stored.st.mtimeMs || from.size !== stored.size)) from = undefined;
      }
      if (!from) {
        const bySha = goneBySha.get(stored.sha256);
        if (bySha && !claimed.has(bySha.file)) from = bySha;
      }
      if (from) {
        claimed.add(from.file);
        const { parents } = following(from);
        const { fields, before } = await contentFields(from, parents, stored, folder.id);
        const summary = from.sha256 === stored.sha256 ? `renamed from ${from.path}` : `renamed from ${from.path}; ${changeSummary(entry.path, before, describeNew(stored))}`;
        const record = { ...version(from.file, folder.id, parents, entry.path, intent?.op ?? 'rename', stored, fields, summary), from: from.path };
        result.versions.push(intent?.message ? { ...record, message: intent.message } : record);
      } else {
        const { fields } = await contentFields(undefined, [], stored, folder.id);
        const record = version(randomBytes(16).toString('hex'), folder.id, [], entry.path, intent?.op ?? 'add', stored, fields, addedSummary(stored.size, stored.text));
        result.versions.push(intent?.message ? { ...record, message: intent.message } : record);
      }
    }
    if (adopted) for (const v of missing) if (!gone.includes(v) && held[v.file] === undefined) result.notHere.push(`${folder.name}/${v.path}`);
    for (const v of gone) {
      if (claimed.has(v.file)) continue;
      const { parents } = following(v);
      result.versions.push({
        kind: 'version', folder: folder.id, file: v.file, n: nextNumber(v.file), parents: parents.map((p) => history.refOf(p)), path: v.path, op: 'delete', time, author: options.author, device: state.batches.device,
        size: 0, sha256: '', mode: v.mode, mtimeMs: v.mtimeMs, ctimeMs: v.ctimeMs, inode: v.inode, summary: 'deleted', tags: options.tags ?? [], meta: options.meta ?? {},
        ...(options.message ? { message: options.message } : {}),
      });
    }
    seenUpdates.set(folder.id, seen);
  }

  /**
   * What a new version of `prev`'s file follows: the version this disk holds,
   * with heads of the same content; every head when there is a conflict it
   * settles. Concurrent text edits are not a conflict: reconciling merges
   * them (merge.ts), so a version made meanwhile continues this device's line.
   */
  function following(prev: VersionRecord): { parents: VersionRecord[]; conflict: boolean } {
    const file = history.file(prev.file) as FileHistory;
    const heads = [prev, ...history.headsIn(file, options.view).filter((h) => h !== prev)];
    if (heads.every((h) => h.sha256 === prev.sha256)) return { parents: heads, conflict: false };
    const live = heads.filter((h) => h.op !== 'delete');
    if (prev.op !== 'delete' && live.length > 1 && sameTextHistory(file, live)) return { parents: heads.filter((h) => h.sha256 === prev.sha256), conflict: false };
    return { parents: heads, conflict: true };
  }

  /**
   * In a folder adopted from another device and not yet observed: the version
   * before `current` (an ancestor of it) that a copy at `path` with `sha256`
   * is, if this machine meets the file for the first time (it recorded no
   * version of it, and no pass here saw it at `path`). Once the file was
   * here, a copy of an old version is the user's doing: an edit.
   */
  function earlierCopy(folder: TrackedFolder, file: FileHistory, current: VersionRecord, path: string, sha256: string): VersionRecord | undefined {
    if (folder.observed !== false || state.seen.get(folder.id, path) !== undefined) return undefined;
    if (file.versions.some((v) => v.device === state.batches.device)) return undefined;
    let match: VersionRecord | undefined;
    const visited = new Set<VersionRecord>();
    const stack = [...(file.parents.get(current) ?? [])];
    while (stack.length > 0) {
      const v = stack.pop() as VersionRecord;
      if (visited.has(v)) continue;
      visited.add(v);
      if (v.op !== 'delete' && v.path === path && v.sha256 === sha256 && (!match || v.n > match.n)) match = v;
      stack.push(...(file.parents.get(v) ?? []));
    }
    return match;
  }

  /** Records that this disk holds `was` of its file at `path` (ScanResult.behind): no version. */
  function holdBehind(folder: TrackedFolder, seen: Record<string, StatKey>, path: string, stored: Stored, was: VersionRecord): void {
    const file = history.file(was.file) as FileHistory;
    held[file.file] = history.refOf(was);
    seen[path] = statKey(stored.st); // met now: the next pass takes it as unchanged, and a change to it as an edit
    result.behind.push({ path: `${folder.name}/${path}`, version: was.n, current: (history.headOf(file) ?? was).n });
  }

  /** Every version of a folder's files that is not a deletion, by content. */
  function versionsByContent(folderId: string): Map<string, VersionRecord[]> {
    const by = new Map<string, VersionRecord[]>();
    for (const file of history.filesIn(folderId)) {
      for (const v of file.versions) {
        if (v.op === 'delete') continue;
        const list = by.get(v.sha256);
        if (list) list.push(v);
        else by.set(v.sha256, [v]);
      }
    }
    return by;
  }

  /** The number a new version of a file is stored with (readers renumber: history.ts). */
  function nextNumber(file: string): number {
    return (history.file(file)?.versions.length ?? 0) + 1;
  }

  /**
   * How the new content is stored: text as a Yjs update on the document of
   * the versions it follows (when those are text), binary as chunks; and
   * what the version this disk held was, for the summary. Text history blobs
   * go to the folder's text lane.
   */
  async function contentFields(prev: VersionRecord | undefined, parents: VersionRecord[], stored: Stored, folderId: string): Promise<{ fields: ContentFields; before: { text?: string; chunks: string[] } }> {
    let previous: { doc: import('yjs').Doc; text: string; chainLength: number } | undefined;
    let before: { text?: string; chunks: string[] } = { chunks: [] };
    const prevFile = prev ? history.file(prev.file) : undefined;
    if (prev && prevFile) {
      const textParents = parents.filter((p) => p.op !== 'delete');
      if (prev.yjs) {
        try {
          if (sameTextHistory(prevFile, textParents)) {
            const { doc, chain } = await rebuildUnion(repo, prevFile, textParents);
            previous = { doc, text: textOf(doc), chainLength: chain.length };
            before = { text: textParents.length === 1 ? previous.text : textOf((await rebuildDoc(repo, prevFile, prev.n)).doc), chunks: [] };
          } else {
            // Answering a conflict between text and binary versions: the text starts anew.
            before = { text: textOf((await rebuildDoc(repo, prevFile, prev.n)).doc), chunks: [] };
          }
        } catch (error) {
          if (!(error instanceof LostHistoryError)) warn(prev.path, `earlier text history unreadable (${errorMessage(error)}); this version starts it anew`); // a recorded loss is no surprise
        }
      } else if (prev.op !== 'delete') {
        before = await describeBinary(repo, prevFile, prev);
      }
    }
    if (stored.text !== undefined) {
      const { ref } = await recordText(store, previous, stored.text, `${folderId}:text`);
      return { fields: { yjs: ref }, before };
    }
    return { fields: await files.contentRef(stored.ids), before };
  }

  function version(file: string, folder: string, parents: VersionRecord[], path: string, op: VersionRecord['op'], stored: Stored, content: ContentFields, summary: string): VersionRecord {
    return {
      kind: 'version', folder, file, n: nextNumber(file), parents: parents.map((p) => history.refOf(p)), path, op, time, author: options.author, device: state.batches.device,
      size: stored.size, sha256: stored.sha256, mode: stored.st.mode & 0o7777, mtimeMs: stored.st.mtimeMs, ctimeMs: stored.st.ctimeMs, inode: stored.st.ino,
      ...content, summary, ...(options.message ? { message: options.message } : {}), tags: options.tags ?? [], meta: options.meta ?? {},
    };
  }

  await store.flush(); // packs and index before the batch that names them
  options.signal?.throwIfAborted(); // stopped: chunks stored so far are indexed, nothing names them
  result.notHere.sort();
  result.unrecordable.sort();
  result.behind.sort((a, b) => a.path.localeCompare(b.path));
  if (result.versions.length > 0) {
    result.versions.sort((a, b) => a.path.localeCompare(b.path));
    const written = await writeBatchRecords(repo, state, history, result.versions);
    result.batch = written.name;
    result.versions = written.records.filter((r): r is VersionRecord => r.kind === 'version'); // as numbered in the history
    // This disk now holds these files' new versions, whatever it held back before.
    await state.settled.release(result.versions.map((v) => v.file));
  }
  await state.settled.hold(held); // copies found behind: settling puts their current versions in place
  for (const [folder, seen] of seenUpdates) await state.seen.replace(folder, seen);
  return result;
}

/**
 * Writes records as this device's next batch (exclusively: a name taken by
 * another copy of this device means a copied repository, which then gets a
 * device id of its own). Folds the batch into `history`.
 */
export async function writeBatch(repo: Repository, state: LocalState, history: History, records: HistoryRecord[]): Promise<string> {
  return (await writeBatchRecords(repo, state, history, records)).name;
}

/** writeBatch, also returning the records as folded into `history` (numbered there); `lost`: batches it records as lost (losses.ts). */
export async function writeBatchRecords(repo: Repository, state: LocalState, history: History, records: HistoryRecord[], lost?: LostBatch[]): Promise<{ name: string; records: HistoryRecord[] }> {
  history.assertWritable(state.batches, lost); // never on top of a history read in part (history.ts)
  for (let attempt = 0; ; attempt++) {
    const seq = await state.batches.next(history.lastSeq(state.batches.device));
    const device = state.batches.device;
    const batch: Batch = { format: BATCH_FORMAT, device, seq, prev: history.prevOf(state.batches, seq), time: new Date().toISOString(), records: records.map((r) => ({ ...r, device })), ...(lost ? { lost } : {}) };
    const name = batchName(device, seq);
    try {
      await repo.putObjectExclusive('versions', name, encodeBatch(batch));
      await state.batches.wrote(seq);
      history.apply(batch);
      return { name, records: batch.records };
    } catch (error) {
      if (!(error instanceof AlreadyExistsError) || attempt >= 3) throw error;
      await state.batches.renewDevice();
    }
  }
}

type ContentFields = { content: string[] } | { contentList: string } | { yjs: YjsRef };

interface Stored {
  size: number;
  /** Chunk ids of binary content (none for text, which is kept as Yjs history). */
  ids: Uint8Array[];
  sha256: string;
  st: Stats;
  text?: string;
}

function describeNew(stored: Stored): { text?: string; chunks: string[] } {
  return { ...(stored.text !== undefined ? { text: stored.text } : {}), chunks: stored.ids.map((id) => Buffer.from(id).toString('hex')) };
}

/** A binary version's chunk ids (inline ones; a list blob is not read for a summary). */
async function describeBinary(repo: Repository, file: FileHistory, record: VersionRecord): Promise<{ text?: string; chunks: string[] }> {
  const chunks = record.content ?? [];
  if (record.size > TEXT_LIMIT) return { chunks };
  try {
    const bytes = await versionBytes(repo, file, record);
    const text = bytes ? asText(bytes) : undefined;
    return text !== undefined ? { text, chunks } : { chunks };
  } catch {
    return { chunks }; // unreadable old version: summarise by chunks
  }
}

/**
 * Stores a file's content if it holds still while being read: its stat before
 * and after must agree, else 'changing'. Undefined (with a warning) when it
 * cannot be read. Chunks go to the pack lane `laneOf` gives for the file's size.
 */
async function storeSettled(
  files: FileStore,
  path: string,
  warn: (path: string, message: string) => void,
  laneOf: (size: number) => string,
): Promise<Stored | 'changing' | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return 'changing'; // gone since the walk
    warn(path, `cannot open: ${errorMessage(error)}`);
    return undefined;
  }
  try {
    const before = await handle.stat();
    if (before.size <= TEXT_LIMIT) {
      // Small enough to be text: read whole; text is kept as Yjs history, not chunks.
      const bytes = await handle.readFile();
      const after = await handle.stat();
      if (!sameKey(statKey(before), statKey(after)) || bytes.length !== after.size) return 'changing';
      const text = asText(bytes);
      if (text !== undefined) return { size: bytes.length, ids: [], sha256: sha256Hex(bytes), st: after, text };
    }
    const stored = await files.storeContent(handle, before.size, undefined, laneOf(before.size));
    const after = await handle.stat();
    if (!sameKey(statKey(before), statKey(after)) || stored.size !== after.size) return 'changing';
    return { ...stored, st: after };
  } catch (error) {
    if (error instanceof EngineError) throw error;
    warn(path, `cannot read: ${errorMessage(error)}`);
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Regular files under `root` that the rules keep, with their stat; symlinks
 * and special files are skipped. A name that a record cannot hold (bytes that
 * are not UTF-8, a backslash, too long: records.ts) is reported to
 * `unrecordable` and warned about, with its folder's files if it is a folder.
 * Synchronous on purpose: an async stat costs ~25 µs in the thread pool
 * against a few µs inline, and a walk of 10,000 files blocks for only ~50 ms.
 */
async function walk(root: string, rules: IgnoreRules, warn: (path: string, message: string) => void, unrecordable: (path: string) => void): Promise<Found[]> {
  const out: Found[] = [];
  const visit = (rel: string): void => {
    let entries;
    try {
      // As bytes: a name that is not UTF-8 would otherwise come back altered (U+FFFD) and vanish.
      entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      warn(rel || root, `cannot list: ${errorMessage(error)}`);
      return;
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      const name = utf8Name(entry.name);
      const isDir = entry.isDirectory();
      if (!entry.isFile() && !isDir) continue;
      const part = name ?? escapeName(entry.name);
      const path = rel ? `${rel}/${part}` : part;
      if (name === undefined || !isSafeRelativePath(path)) {
        if (rules.ignores(path, isDir)) continue;
        unrecordable(path);
        const why = name === undefined ? 'its name is not valid UTF-8' : 'its name cannot be recorded (a backslash, or too long)';
        warn(path, `not recorded: ${why}${isDir ? ', nor anything in it' : ''}; rename it to protect it`);
        continue;
      }
      if (isDir) {
        if (!rules.ignores(path, true)) subdirs.push(path);
        continue;
      }
      if (rules.ignores(path)) continue;
      try {
        const st = lstatSync(join(root, path));
        if (st.isFile()) out.push({ path, st });
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT') warn(path, `cannot stat: ${errorMessage(error)}`);
      }
    }
    for (const dir of subdirs.sort()) visit(dir);
  };
  visit('');
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A file name's bytes as text, or undefined when they are not valid UTF-8. */
function utf8Name(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A name that is not valid UTF-8, readable: its valid sequences as text, every other byte as \xNN. */
export function escapeName(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] as number;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    const text = length > 0 ? utf8Name(bytes.subarray(i, i + length)) : undefined;
    if (text !== undefined && i + length <= bytes.length) {
      out += text;
      i += length;
    } else {
      out += `\\x${lead.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}
