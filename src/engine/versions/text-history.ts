// Text history through Yjs: a text version stores the Yjs update from the
// state of the version(s) it follows (so an edit costs bytes in proportion to
// the edit, not the file), small updates inline in the version record and
// larger ones as blobs; every CHECKPOINT_EVERY versions the whole state is
// stored too, so rebuilding never replays more than that many updates. A
// version's document is the union of its own update and its ancestors',
// which is also how concurrent edits merge. Each version edits with a client
// id of its own, which is how insertions are attributed to the version (and
// author) that made them. Documents keep deleted items (gc: false) so that
// any two versions can be compared.

import { randomInt } from 'node:crypto';
import { diffLines, type Change } from 'diff';
import * as Y from 'yjs';
import { DamagedObjectError, EngineError } from '../errors';
import type { BlobStore } from '../repo/blob-store';
import { BlobType, fromHex, toHex } from '../repo/format';
import type { Repository } from '../repo/repository';
import type { FileHistory } from './history';
import type { VersionRecord, YjsRef } from './records';

/** Updates up to this size are kept inside the version record (edits, usually); larger ones, such as a file's first full text, go to blobs, so loading the history stays fast. */
export const INLINE_UPDATE_LIMIT = 512;
/** A full state is stored every this many text versions of a file. */
export const CHECKPOINT_EVERY = 256;

const TEXT = 'content';
const encoder = new TextEncoder();

export function textOf(doc: Y.Doc): string {
  return doc.getText(TEXT).toString();
}

function newDoc(): Y.Doc {
  return new Y.Doc({ gc: false });
}

/** The bytes of a version's Yjs update (inline, or from its blob). */
export async function loadBytes(repo: Repository, ref: { update?: string; blob?: string }, what: string): Promise<Uint8Array> {
  if (ref.update !== undefined) return new Uint8Array(Buffer.from(ref.update, 'base64'));
  if (ref.blob !== undefined) {
    await repo.ensureIndex();
    return repo.loadBlob(fromHex(ref.blob), BlobType.data);
  }
  throw new DamagedObjectError(what, 'text version without an update');
}

/**
 * The Yjs document of `file` at version `n` (a text version), and the
 * versions applied to build it, by number.
 */
export async function rebuildDoc(repo: Repository, file: FileHistory, n: number): Promise<{ doc: Y.Doc; chain: VersionRecord[] }> {
  const target = file.versions.find((v) => v.n === n);
  if (!target?.yjs) throw new EngineError('INVALID_ARGUMENT', `version ${n} of ${target?.path ?? file.file} is not a text version`);
  return rebuildUnion(repo, file, [target]);
}

/**
 * The document holding every edit of the given text versions (one version's
 * document, or several merged): the updates of all their ancestors applied
 * once each. Yjs updates commute and are idempotent, so this is how
 * concurrent versions merge.
 */
export async function rebuildUnion(repo: Repository, file: FileHistory, targets: VersionRecord[]): Promise<{ doc: Y.Doc; chain: VersionRecord[] }> {
  const chain = textChain(file, targets, true);
  const doc = newDoc();
  for (const v of chain) {
    const ref = v.yjs as YjsRef;
    // A version kept in the chain with a checkpoint is the newest of its line: its full state replaces its ancestors.
    if (ref.checkpoint) Y.applyUpdate(doc, await loadBytes(repo, { blob: ref.checkpoint }, `checkpoint of ${v.path}@${v.n}`));
    else Y.applyUpdate(doc, await loadBytes(repo, ref, `${v.path}@${v.n}`));
  }
  return { doc, chain };
}

/**
 * The versions whose updates make up the document of `targets` (one version,
 * or the union of several), by number: every ancestor reached through text
 * parents (deletions among the parents add nothing), stopping at versions
 * that start a document (base 'empty'). With `fromCheckpoint`, versions
 * covered by a later full-state checkpoint are left out (the checkpoint is
 * applied instead), so a rebuild replays at most CHECKPOINT_EVERY updates
 * per line of history.
 */
export function textChain(file: FileHistory, targets: VersionRecord | VersionRecord[], fromCheckpoint: boolean): VersionRecord[] {
  const ordered = [...docAncestry(file, Array.isArray(targets) ? targets : [targets])].sort((a, b) => a.n - b.n);
  if (!fromCheckpoint) return ordered;
  const covered = new Set<VersionRecord>();
  for (let i = ordered.length - 1; i >= 0; i--) {
    const v = ordered[i] as VersionRecord;
    if (covered.has(v) || !v.yjs?.checkpoint) continue;
    for (const a of docAncestry(file, [v])) if (a !== v) covered.add(a);
  }
  return ordered.filter((v) => !covered.has(v));
}

/** The versions starting the documents `record` is built on (base 'empty'): texts with the same roots share their history and merge. */
export function textRoots(file: FileHistory, record: VersionRecord): Set<VersionRecord> {
  return new Set([...docAncestry(file, [record])].filter((v) => v.yjs?.base === 'empty'));
}

/** Whether versions are all text with the same roots: their documents' union is their merge. */
export function sameTextHistory(file: FileHistory, records: VersionRecord[]): boolean {
  if (records.length === 0 || !records.every((r) => r.yjs)) return false;
  try {
    const keys = records.map((r) => [...textRoots(file, r)].map((v) => v.n).sort((a, b) => a - b).join(' '));
    return keys.every((k) => k === keys[0]);
  } catch {
    return false; // a history with a gap (not synced yet, or damaged) merges nothing
  }
}

function docAncestry(file: FileHistory, targets: VersionRecord[]): Set<VersionRecord> {
  const where = `file ${file.file}`;
  const seen = new Set<VersionRecord>();
  const stack = [...targets];
  while (stack.length > 0) {
    const v = stack.pop() as VersionRecord;
    if (seen.has(v)) continue;
    if (!v.yjs) throw new DamagedObjectError(where, `version ${v.n} is not text`);
    seen.add(v);
    if (v.yjs.base === 'empty') continue;
    if (file.incomplete.has(v)) throw new DamagedObjectError(where, `version ${v.n} builds on a version that is not here yet (sync again)`);
    if (file.afterLoss.has(v)) throw new LostHistoryError(where, v.n);
    const parents = (file.parents.get(v) ?? []).filter((p) => p.op !== 'delete');
    if (parents.length === 0) throw new DamagedObjectError(where, `version ${v.n} builds on no earlier text`);
    for (const p of parents) {
      if (!p.yjs) throw new DamagedObjectError(where, `version ${v.n} builds on version ${p.n}, which is not text`);
      stack.push(p);
    }
  }
  return seen;
}

/**
 * A text version's document cannot be rebuilt because it builds on a version
 * in a batch recorded as lost (history.ts): for good, and known to the user,
 * who recorded it; the next version of the file starts its text anew.
 */
export class LostHistoryError extends DamagedObjectError {
  constructor(where: string, n: number) {
    super(where, `version ${n} builds on a version recorded as lost (strata repair versions)`);
    this.name = 'LostHistoryError';
  }
}

/** The text of a text version, checked against its recorded SHA-256. */
export async function versionText(repo: Repository, file: FileHistory, record: VersionRecord): Promise<string> {
  const { doc } = await rebuildDoc(repo, file, record.n);
  return textOf(doc);
}

/** Lengths of the common prefix and suffix of two strings (not overlapping, never splitting a surrogate pair). */
function commonEnds(a: string, b: string): { prefix: number; suffix: number } {
  const max = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)) suffix++;
  // The halves of a surrogate pair are not text on their own.
  if (prefix > 0 && isHighSurrogate(a.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(a.charCodeAt(a.length - suffix))) suffix--;
  return { prefix, suffix };
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/**
 * Edits `text` (holding `before`) into `after` with few, small operations:
 * the common prefix and suffix are kept (a typical save changes one place),
 * widened to whole lines; the middle is compared line by line, and each
 * changed block is trimmed again, so a sentence added to a paragraph inserts
 * just the sentence. Whole lines matter for merging: an added or removed
 * line is exactly that line, so a concurrent edit of the line next to it
 * merges cleanly instead of landing inside a removed range.
 */
export function applyTextChange(text: Y.Text, before: string, after: string): void {
  const ends = commonEnds(before, after);
  if (ends.prefix === before.length && ends.prefix === after.length) return;
  // The middle from a line start to a line end, in both texts (the ends are the same text in both).
  const start = ends.prefix === 0 ? 0 : before.lastIndexOf('\n', ends.prefix - 1) + 1;
  const lineEnd = before.indexOf('\n', before.length - ends.suffix);
  const suffix = ends.suffix === 0 || lineEnd < 0 ? 0 : before.length - lineEnd - 1;
  const oldMid = before.slice(start, before.length - suffix);
  const newMid = after.slice(start, after.length - suffix);
  if (oldMid === newMid) return;
  const edits: Array<{ at: number; remove: number; insert: string }> = [];
  const replace = (at: number, o: string, n: string): void => {
    const { prefix, suffix } = commonEnds(o, n);
    edits.push({ at: at + prefix, remove: o.length - prefix - suffix, insert: n.slice(prefix, n.length - suffix) });
  };
  const parts = diffLines(oldMid, newMid);
  let at = start;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as Change;
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      replace(at, part.value, next.value);
      at += part.value.length;
      i++;
    } else if (part.removed) {
      replace(at, part.value, '');
      at += part.value.length;
    } else if (part.added) {
      replace(at, '', part.value);
    } else {
      at += part.value.length;
    }
  }
  // Back to front, so earlier offsets stay valid.
  for (const edit of edits.reverse()) {
    if (edit.remove > 0) text.delete(edit.at, edit.remove);
    if (edit.insert.length > 0) text.insert(edit.at, edit.insert);
  }
}

/** Lines with their endings kept ("a\n", "b\r\n", "c"). */
export function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

/**
 * The Yjs part of a new text version: the update from `previous` (the doc of
 * the version before, or undefined to start from empty), stored inline or as
 * a blob, plus a checkpoint every CHECKPOINT_EVERY versions. Blobs go to
 * packs of `lane` (BlobStore's default lane when omitted).
 */
export async function recordText(
  store: BlobStore,
  previous: { doc: Y.Doc; text: string; chainLength: number } | undefined,
  after: string,
  lane?: string,
): Promise<{ ref: YjsRef; doc: Y.Doc }> {
  const doc = previous?.doc ?? newDoc();
  const client = randomInt(1, 2 ** 31);
  doc.clientID = client;
  const stateBefore = Y.encodeStateVector(doc);
  doc.transact(() => applyTextChange(doc.getText(TEXT), previous?.text ?? '', after));
  const update = Y.encodeStateAsUpdate(doc, stateBefore);
  const ref: YjsRef = { base: previous ? 'previous' : 'empty', client };
  if (update.length <= INLINE_UPDATE_LIMIT) ref.update = Buffer.from(update).toString('base64');
  else ref.blob = await saveBlob(store, update, lane);
  if (previous && previous.chainLength + 1 >= CHECKPOINT_EVERY) ref.checkpoint = await saveBlob(store, Y.encodeStateAsUpdate(doc), lane);
  return { ref, doc };
}

async function saveBlob(store: BlobStore, bytes: Uint8Array, lane: string | undefined): Promise<string> {
  const saved = store.save(BlobType.data, bytes, lane);
  await saved.done;
  return toHex(saved.id);
}

/** UTF-8 bytes of a text (the exact bytes it was read from: BOM and line endings are kept). */
export function textBytes(text: string): Uint8Array {
  return encoder.encode(text);
}
