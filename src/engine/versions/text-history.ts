// Text history through Yjs: a text version stores the Yjs update from the
// previous version's state (so an edit costs bytes in proportion to the edit,
// not the file), small updates inline in the version record and larger ones
// as blobs; every CHECKPOINT_EVERY versions the whole state is stored too, so
// rebuilding never replays more than that many updates. Each version edits
// with a client id of its own, which is how insertions are attributed to the
// version (and author) that made them. Documents keep deleted items
// (gc: false) so that any two versions can be compared.

import { randomInt } from 'node:crypto';
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

async function loadBytes(repo: Repository, ref: { update?: string; blob?: string }, what: string): Promise<Uint8Array> {
  if (ref.update !== undefined) return new Uint8Array(Buffer.from(ref.update, 'base64'));
  if (ref.blob !== undefined) {
    await repo.ensureIndex();
    return repo.loadBlob(fromHex(ref.blob), BlobType.data);
  }
  throw new DamagedObjectError(what, 'text version without an update');
}

/**
 * The Yjs document of `file` at version `n` (a text version), and the
 * versions applied to build it, oldest first.
 */
export async function rebuildDoc(repo: Repository, file: FileHistory, n: number): Promise<{ doc: Y.Doc; chain: VersionRecord[] }> {
  const at = file.versions.findIndex((v) => v.n === n);
  const target = file.versions[at];
  if (!target?.yjs) throw new EngineError('INVALID_ARGUMENT', `version ${n} of ${target?.path ?? file.file} is not a text version`);
  // Back to the nearest checkpoint or start of this text run.
  let start = at;
  while (start > 0) {
    const v = file.versions[start] as VersionRecord;
    if (v.yjs?.checkpoint || v.yjs?.base === 'empty') break;
    const before = file.versions[start - 1];
    if (!before?.yjs) throw new DamagedObjectError(`file ${file.file}`, `version ${v.n} builds on version ${before?.n ?? '?'}, which is not text`);
    start--;
  }
  const chain = file.versions.slice(start, at + 1);
  const doc = newDoc();
  const first = chain[0] as VersionRecord;
  const firstRef = first.yjs as YjsRef;
  if (firstRef.checkpoint) Y.applyUpdate(doc, await loadBytes(repo, { blob: firstRef.checkpoint }, `checkpoint of ${first.path}@${first.n}`));
  else Y.applyUpdate(doc, await loadBytes(repo, firstRef, `${first.path}@${first.n}`));
  for (const v of chain.slice(1)) Y.applyUpdate(doc, await loadBytes(repo, v.yjs as YjsRef, `${v.path}@${v.n}`));
  return { doc, chain };
}

/** The text of a text version, checked against its recorded SHA-256. */
export async function versionText(repo: Repository, file: FileHistory, record: VersionRecord): Promise<string> {
  const { doc } = await rebuildDoc(repo, file, record.n);
  return textOf(doc);
}

/** Edits `text` (holding `before`) into `after` with few, small operations. */
export function applyTextChange(text: Y.Text, before: string, after: string): void {
  // Common prefix and suffix first: a typical save changes one place.
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  // Never split a surrogate pair (the halves are not text on their own).
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
  const oldMid = before.slice(prefix, before.length - suffix);
  const newMid = after.slice(prefix, after.length - suffix);
  if (oldMid.length === 0 && newMid.length === 0) return;
  const hunks = lineHunks(oldMid, newMid);
  // Apply back to front, so earlier offsets stay valid.
  for (let i = hunks.length - 1; i >= 0; i--) {
    const h = hunks[i] as Hunk;
    // Within a changed block of lines, trim again: a sentence added to a paragraph inserts just the sentence.
    const o = oldMid.slice(h.oldStart, h.oldEnd);
    const nw = newMid.slice(h.newStart, h.newEnd);
    let p = 0;
    const m = Math.min(o.length, nw.length);
    while (p < m && o.charCodeAt(p) === nw.charCodeAt(p)) p++;
    let s = 0;
    while (s < m - p && o.charCodeAt(o.length - 1 - s) === nw.charCodeAt(nw.length - 1 - s)) s++;
    if (p > 0 && isHighSurrogate(o.charCodeAt(p - 1))) p--;
    if (s > 0 && isLowSurrogate(o.charCodeAt(o.length - s))) s--;
    const at = prefix + h.oldStart + p;
    const removed = o.length - p - s;
    if (removed > 0) text.delete(at, removed);
    const inserted = nw.slice(p, nw.length - s);
    if (inserted.length > 0) text.insert(at, inserted);
  }
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

interface Hunk {
  oldStart: number;
  oldEnd: number;
  newStart: number;
  newEnd: number;
}

/** Changed regions (character offsets) between two texts, found line by line (LCS over lines). */
function lineHunks(before: string, after: string): Hunk[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // Small inputs or a single-sided change: one hunk.
  if (a.length === 0 || b.length === 0 || a.length * b.length > 4_000_000) return [{ oldStart: 0, oldEnd: before.length, newStart: 0, newEnd: after.length }];
  // LCS table over lines (bounded above), then walk it.
  const n = a.length;
  const m = b.length;
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? (lcs[(i + 1) * (m + 1) + j + 1] as number) + 1 : Math.max(lcs[(i + 1) * (m + 1) + j] as number, lcs[i * (m + 1) + j + 1] as number);
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let ao = 0;
  let bo = 0;
  let open: Hunk | undefined;
  const close = (): void => {
    if (open) hunks.push(open);
    open = undefined;
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      close();
      ao += (a[i] as string).length;
      bo += (b[j] as string).length;
      i++;
      j++;
    } else if (j < m && (i >= n || (lcs[i * (m + 1) + j + 1] as number) >= (lcs[(i + 1) * (m + 1) + j] as number))) {
      open ??= { oldStart: ao, oldEnd: ao, newStart: bo, newEnd: bo };
      bo += (b[j] as string).length;
      open.newEnd = bo;
      j++;
    } else {
      open ??= { oldStart: ao, oldEnd: ao, newStart: bo, newEnd: bo };
      ao += (a[i] as string).length;
      open.oldEnd = ao;
      i++;
    }
  }
  close();
  return hunks;
}

/** Lines with their endings kept ("a\n", "b\r\n", "c"). */
export function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

/**
 * The Yjs part of a new text version: the update from `previous` (the doc of
 * the version before, or undefined to start from empty), stored inline or as
 * a blob, plus a checkpoint every CHECKPOINT_EVERY versions.
 */
export async function recordText(
  store: BlobStore,
  previous: { doc: Y.Doc; text: string; chainLength: number } | undefined,
  after: string,
): Promise<{ ref: YjsRef; doc: Y.Doc }> {
  const doc = previous?.doc ?? newDoc();
  const client = randomInt(1, 2 ** 31);
  doc.clientID = client;
  const stateBefore = Y.encodeStateVector(doc);
  doc.transact(() => applyTextChange(doc.getText(TEXT), previous?.text ?? '', after));
  const update = Y.encodeStateAsUpdate(doc, stateBefore);
  const ref: YjsRef = { base: previous ? 'previous' : 'empty', client };
  if (update.length <= INLINE_UPDATE_LIMIT) ref.update = Buffer.from(update).toString('base64');
  else ref.blob = await saveBlob(store, update);
  if (previous && previous.chainLength + 1 >= CHECKPOINT_EVERY) ref.checkpoint = await saveBlob(store, Y.encodeStateAsUpdate(doc));
  return { ref, doc };
}

async function saveBlob(store: BlobStore, bytes: Uint8Array): Promise<string> {
  const saved = store.save(BlobType.data, bytes);
  await saved.done;
  return toHex(saved.id);
}

/** UTF-8 bytes of a text (the exact bytes it was read from: BOM and line endings are kept). */
export function textBytes(text: string): Uint8Array {
  return encoder.encode(text);
}
