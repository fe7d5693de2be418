// Settling versions that arrived from other devices (a sync) in this
// machine's folders. New versions are put in place; concurrent edits of a
// text file are merged through Yjs (the union of both documents: both edits
// survive) and recorded as a merge version; an edit concurrent with a
// deletion wins (the file is kept); concurrent binary versions are both kept
// and reported as a conflict, which the user settles by recording a version
// that follows every head (a rollback, or an edit). Every choice depends on
// the history alone, so two devices settling the same batches reach the same
// content, and heads with the same content are one state: merging converges
// instead of looping. Nothing unrecorded is overwritten or deleted: a file is
// replaced or removed only while it holds the version this machine last had
// of it; one changed here since is kept, and said so. In a folder adopted
// from another device (TrackedFolder.observed false), files it does not have
// are not here yet: they are neither put in place nor removed; a copy there
// of an earlier version (held back by the scan: scanner.ts) is brought to the
// current version like any file this disk holds at an older one.

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors';
import { BlobStore } from '../repo/blob-store';
import type { Repository } from '../repo/repository';
import { versionContent } from './content';
import type { FileHistory, History } from './history';
import type { LocalState, TrackedFolder } from './local-state';
import { statKey, type StatKey } from './state/seen';
import { onDiskAt, removeIfHolds, writeInto } from './put-back';
import { parseBatchName } from '../repo/format';
import type { VersionRecord } from './records';
import { writeBatchRecords } from './scanner';
import { lineChanges } from './summary';
import { rebuildUnion, recordText, sameTextHistory, textBytes, textOf, versionText } from './text-history';
import { sha256Hex } from '../crypto/sha256';

/** Versions of one file that cannot both be current: the user chooses. */
export interface Conflict {
  /** `content`: heads with different content that do not merge (binary, or text and binary); `path`: a file from another device whose path holds a different file here (it is not placed; rename or remove the file in the way, then sync). */
  kind: 'content' | 'path';
  folder: string;
  path: string;
  file: string;
  /** The heads in conflict, by number (for `path`: the version not placed). */
  versions: VersionRecord[];
}

export interface ReconcileResult {
  /** Versions recorded: merges, and edits kept over deletions. */
  versions: VersionRecord[];
  /** `<folder name>/<path>` written or removed in this machine's folders. */
  written: string[];
  removed: string[];
  /** Conflicts open after settling (in the folders settled). */
  conflicts: Conflict[];
  /** Files left as they are for now (still being written, or their history is not all here yet): settled after a later sync. */
  waiting: string[];
  /**
   * `<folder name>/<path>` of files another device deleted (or moved away)
   * that were not removed here: what is on disk is not the version recorded
   * (changed since), so it is kept, and its next version outlives the deletion.
   */
  kept: string[];
  /**
   * Files this disk held at an older version (a copy of an earlier version
   * in an adopted folder, or one not put in place before) that now have the
   * current one: `<folder name>/<path>` written (or removed, for a file
   * deleted since), the version the copy was and the one it is now.
   */
  caughtUp: Array<{ path: string; was: number; now: number }>;
}

/** Among heads: this device's newest, else the newest (what History.headOf shows as the disk's). */
function pick(heads: VersionRecord[], device: string): VersionRecord | undefined {
  return heads.filter((h) => h.device === device).at(-1) ?? heads.at(-1);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function people(records: VersionRecord[]): string {
  return [...new Set(records.map((r) => r.author))].join(', ');
}

/**
 * Settles every file of `folders` (tracked here and scanned here at least
 * once) against the history: afterwards this machine's folders hold every
 * batch in `history` except the files reported waiting or in a path
 * conflict. Unrecorded changes must have been recorded just before (a scan).
 */
export async function reconcileFolders(repo: Repository, state: LocalState, history: History, options: { folders: TrackedFolder[]; author: string }): Promise<ReconcileResult> {
  const before = state.settled.view();
  const holding: Record<string, string | null> = {};
  const settling = new Set(options.folders.map((f) => f.id));
  for (const [file, ref] of Object.entries(before.holding ?? {})) {
    const f = history.file(file);
    if (f && !settling.has(f.folder)) holding[file] = ref; // folders not settled now keep what they hold
  }
  const result: ReconcileResult = { versions: [], written: [], removed: [], conflicts: [], waiting: [], kept: [], caughtUp: [] };
  const store = new BlobStore(repo);
  const records: VersionRecord[] = [];
  const seen = new Map<string, Record<string, StatKey>>();
  const time = new Date().toISOString();

  for (const folder of options.folders) {
    for (const file of history.filesIn(folder.id)) {
      const old = history.headOf(file, before);
      const hold = (): void => {
        holding[file.file] = old ? history.refOf(old) : null;
      };
      try {
        if (!(await settle(folder, file, old))) hold();
      } catch (error) {
        hold();
        result.waiting.push(`${folder.name}/${old?.path ?? file.heads.at(-1)?.path ?? file.file} (${errorMessage(error)})`);
      }
    }
  }
  await store.flush(); // blobs of merged texts before the batch naming them
  if (records.length > 0) {
    const written = await writeBatchRecords(repo, state, history, records);
    result.versions = written.records.filter((r): r is VersionRecord => r.kind === 'version');
  }
  await state.seen.add(seen);
  await state.settled.setApplied(history.lastSeqs(), holding);
  result.conflicts = [...findConflicts(history, options.folders), ...result.conflicts];
  result.caughtUp.sort((a, b) => a.path.localeCompare(b.path));
  return result;

  /**
   * Brings one file from `old` (what this disk holds of it) to its heads;
   * false when it must stay as it is for now (it is then held at `old`).
   */
  async function settle(folder: TrackedFolder, file: FileHistory, old: VersionRecord | undefined): Promise<boolean> {
    const heads = file.heads;
    if (heads.length === 1 && old === heads[0]) return true; // nothing new: the usual case
    if (!old && heads.every((h) => h.op === 'delete')) return true; // never here, gone anyway
    const where = `${folder.name}/${old?.path ?? heads.at(-1)?.path}`;
    if (file.incomplete.size > 0) {
      result.waiting.push(`${where} (waiting for versions not synced yet)`);
      return false;
    }
    const live = heads.filter((h) => h.op !== 'delete');
    const states = new Set(live.map((h) => h.sha256));
    const conflict = states.size > 1 && !sameTextHistory(file, live);
    const mine = pick(live, state.batches.device);
    const here = (r: VersionRecord | undefined): boolean => r !== undefined && old !== undefined && old.op !== 'delete' && old.sha256 === r.sha256 && old.path === r.path;
    // Already as it should be: one state (or this device's side of a conflict) that this disk holds.
    if (conflict ? here(mine) : live.length === heads.length && live.every(here)) return true;
    // The disk must hold `old` (local changes were recorded just before): otherwise it is being written now.
    const oldPath = old && old.op !== 'delete' ? old.path : undefined;
    // Held back at an older version (before.holding): what is put in place now is said with the version it replaces.
    const caughtUp = (path: string, now: VersionRecord): void => {
      if (old && oldPath !== undefined && before.holding?.[file.file]) result.caughtUp.push({ path: `${folder.name}/${path}`, was: old.n, now: now.n });
    };
    if (old && oldPath !== undefined) {
      const there = await onDiskAt(folder.path, oldPath);
      if (!there && folder.observed === false) return true; // an adopted folder without this file: not here yet
      if (there?.sha256 !== old.sha256) {
        if (mine || !there) result.waiting.push(`${where} (changed while settling)`);
        else result.kept.push(where);
        return false;
      }
    }
    if (!mine) {
      // Deleted on another device: removed only while it is the version recorded.
      if (old && oldPath !== undefined) {
        const removed = await removeIfHolds(folder.path, oldPath, old.sha256);
        if (removed === 'kept') {
          result.kept.push(where);
          return false;
        }
        if (removed === 'removed') {
          result.removed.push(`${folder.name}/${oldPath}`);
          caughtUp(oldPath, heads.at(-1) as VersionRecord);
        }
      }
      return true;
    }
    const keep = mine;
    if (conflict) {
      // A conflict: both versions are kept; the disk keeps this device's (or the newest), the user chooses.
      return place(folder, file, old, keep, keep.sha256, () => versionContent(repo, file, keep));
    }
    const deleted = heads.filter((h) => h.op === 'delete');
    // Where the file ends up does not depend on the device: the newest head's path.
    const newest = live.at(-1) as VersionRecord;
    const onePlace = live.every((h) => h.path === newest.path);
    if (states.size === 1 && deleted.length === 0 && onePlace) {
      // One state: put it in place.
      const writes = result.written.length;
      const placed = await place(folder, file, old, keep, keep.sha256, () => versionContent(repo, file, keep));
      if (placed && result.written.length > writes) caughtUp(keep.path, keep);
      return placed;
    }
    // A new version follows every head: the merge of concurrent text edits, the edit that outlives a deletion, or one name of a file renamed on two devices.
    let content: Pick<VersionRecord, 'yjs' | 'content' | 'contentList'>;
    let bytes: () => AsyncIterable<Uint8Array>;
    let sha256 = newest.sha256;
    let size = newest.size;
    let summary = deleted.length > 0 ? `kept the edit by ${people(live)} over the deletion by ${people(deleted)}` : `kept the name ${newest.path} (renamed on two devices at once)`;
    if (newest.yjs) {
      const union = sameTextHistory(file, live) ? await rebuildUnion(repo, file, live) : undefined;
      let text: string;
      if (states.size > 1) {
        text = textOf((union as Awaited<ReturnType<typeof rebuildUnion>>).doc);
        const before = old?.yjs ? await versionText(repo, file, old).catch(() => undefined) : undefined;
        const change = before !== undefined ? lineChanges(before, text) : undefined;
        summary = `merged concurrent edits by ${people(live)}${change ? `: +${change.added} -${change.removed} lines here` : ''}`;
      } else {
        text = await versionText(repo, file, newest);
      }
      // The merge's document is the union of its parents' (format.md 4.10); heads with equal text but separate histories start anew instead.
      const { ref } = union && textOf(union.doc) === text
        ? await recordText(store, { doc: union.doc, text, chainLength: union.chain.length }, text, `${folder.id}:text`)
        : await recordText(store, undefined, text, `${folder.id}:text`);
      const merged = textBytes(text);
      content = { yjs: ref };
      bytes = () => once(merged);
      sha256 = sha256Hex(merged);
      size = merged.length;
    } else {
      content = newest.content ? { content: newest.content } : { contentList: newest.contentList as string };
      bytes = () => versionContent(repo, file, newest);
    }
    const placed = await place(folder, file, old, newest, sha256, bytes);
    if (!placed) return false;
    const st = await lstat(join(folder.path, ...newest.path.split('/')));
    records.push({
      kind: 'version', folder: folder.id, file: file.file, n: file.versions.length + 1, parents: heads.map((h) => history.refOf(h)),
      path: newest.path, ...(oldPath !== undefined && oldPath !== newest.path ? { from: oldPath } : {}), op: 'merge', time, author: options.author, device: state.batches.device,
      size, sha256, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, inode: st.ino,
      ...content, summary: summary.slice(0, 1024), tags: [], meta: {},
    });
    return true;
  }

  /**
   * Puts content with `sha256` at the path of `head` (replacing `old`'s
   * file, which the caller checked is on disk as recorded). A different file
   * already at a new path is never replaced: that is a path conflict, and
   * the file stays as it is here (false).
   */
  async function place(folder: TrackedFolder, file: FileHistory, old: VersionRecord | undefined, head: VersionRecord, sha256: string, content: () => AsyncIterable<Uint8Array>): Promise<boolean> {
    const path = head.path;
    const oldPath = old && old.op !== 'delete' ? old.path : undefined;
    let write = !(oldPath === path && old?.sha256 === sha256);
    if (write && oldPath !== path) {
      const there = await onDiskAt(folder.path, path);
      if (there && there.sha256 !== sha256) {
        result.conflicts.push({ kind: 'path', folder: folder.name, path, file: file.file, versions: [head] });
        return false;
      }
      if (there) write = false; // already there (the same content)
    }
    if (write) {
      await writeInto(folder.path, path, content(), head.mode);
      result.written.push(`${folder.name}/${path}`);
    }
    if (old && oldPath !== undefined && oldPath !== path) {
      // Moved away: the old name goes only while it holds the version recorded (else it stays, a file of its own).
      const removed = await removeIfHolds(folder.path, oldPath, old.sha256);
      if (removed === 'removed') result.removed.push(`${folder.name}/${oldPath}`);
      else if (removed === 'kept') result.kept.push(`${folder.name}/${oldPath}`);
    }
    const st = await lstat(join(folder.path, ...path.split('/')));
    seen.set(folder.id, { ...(seen.get(folder.id) ?? {}), [path]: statKey(st) });
    return true;
  }
}

/**
 * Open content conflicts in `folders`: files whose heads hold different
 * content that does not merge. Concurrent text edits are not listed:
 * reconciling merges them. (Path conflicts are found while placing files,
 * and reported by each reconcile until settled.)
 */
export function findConflicts(history: History, folders: Array<{ id: string; name: string }>): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const folder of folders) {
    for (const file of history.filesIn(folder.id)) {
      const live = file.heads.filter((h) => h.op !== 'delete');
      if (new Set(live.map((h) => h.sha256)).size > 1 && !sameTextHistory(file, live)) {
        conflicts.push({ kind: 'content', folder: folder.name, path: (live.at(-1) as VersionRecord).path, file: file.file, versions: live });
      }
    }
  }
  return conflicts.sort((a, b) => a.folder.localeCompare(b.folder) || a.path.localeCompare(b.path));
}

/** The highest batch number of each device among batch object names. */
export function lastSeqsOf(batchNames: string[]): Record<string, number> {
  const last: Record<string, number> = {};
  for (const name of batchNames) {
    const where = parseBatchName(name);
    if (where) last[where.device] = Math.max(last[where.device] ?? 0, where.seq);
  }
  return last;
}

/**
 * Whether this machine's tracked folders need reconciling: batches of other
 * devices they do not reflect yet (by name: no passphrase needed), or files
 * waiting to be put in place.
 */
export function needsReconcile(state: LocalState, batchNames: string[]): boolean {
  if (state.folders.tracked().length === 0) return false;
  const view = state.settled.view();
  if (Object.keys(view.holding ?? {}).length > 0) return true;
  const applied = view.applied ?? {};
  return Object.entries(lastSeqsOf(batchNames)).some(([device, seq]) => device !== state.batches.device && seq > (applied[device] ?? 0));
}
