// Text history through Yjs: a text version stores the Yjs update from the
// previous version's state (so an edit costs bytes in proportion to the edit,
// not the file), small updates inline in the version record and larger ones
// as blobs; every CHECKPOINT_EVERY versions the whole state is stored too, so
// rebuilding never replays more than that many updates. Each version edits
// with a client id of its own, which is how insertions are attributed to the
// version (and author) that made them. Documents keep deleted items
// (gc: false) so that any two versions can be compared.

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
 * versions applied to build it, oldest first.
 */
export async function rebuildDoc(repo: Repository, file: FileHistory, n: number): Promise<{ doc: Y.Doc; chain: VersionRecord[] }> {
  const target = file.versions.find((v) => v.n === n);
  if (!target?.yjs) throw new EngineError('INVALID_ARGUMENT', `version ${n} of ${target?.path ?? file.file} is not a text version`);
  const chain = textChain(file, target, true);
  const doc = newDoc();
  const first = chain[0] as VersionRecord;
  const firstRef = first.yjs as YjsRef;
  if (firstRef.checkpoint) Y.applyUpdate(doc, await loadBytes(repo, { blob: firstRef.checkpoint }, `checkpoint of ${first.path}@${first.n}`));
  else Y.applyUpdate(doc, await loadBytes(repo, firstRef, `${first.path}@${first.n}`));
  for (const v of chain.slice(1)) Y.applyUpdate(doc, await loadBytes(repo, v.yjs as YjsRef, `${v.path}@${v.n}`));
  return { doc, chain };
}

/**
 * The versions whose updates build `record`'s document, oldest first: back
 * to the start of its text history (a version with an 'empty' base), or,
 * with `fromCheckpoint`, to the nearest version with a full-state checkpoint.
 */
export function textChain(file: FileHistory, record: VersionRecord, fromCheckpoint: boolean): VersionRecord[] {
  const at = file.versions.indexOf(record);
  let start = at;
  while (start > 0) {
    const v = file.versions[start] as VersionRecord;
    if (v.yjs?.base === 'empty' || (fromCheckpoint && v.yjs?.checkpoint)) break;
    const before = file.versions[start - 1];
    if (!before?.yjs) throw new DamagedObjectError(`file ${file.file}`, `version ${v.n} builds on version ${before?.n ?? '?'}, which is not text`);
    start--;
  }
  return file.versions.slice(start, at + 1);
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
 * the common prefix and suffix are kept (a typical save changes one place);
 * the middle is compared line by line, and each changed block is trimmed
 * again, so a sentence added to a paragraph inserts just the sentence.
 */
export function applyTextChange(text: Y.Text, before: string, after: string): void {
  const ends = commonEnds(before, after);
  const oldMid = before.slice(ends.prefix, before.length - ends.suffix);
  const newMid = after.slice(ends.prefix, after.length - ends.suffix);
  if (oldMid.length === 0 && newMid.length === 0) return;
  const edits: Array<{ at: number; remove: number; insert: string }> = [];
  const replace = (at: number, o: string, n: string): void => {
    const { prefix, suffix } = commonEnds(o, n);
    edits.push({ at: at + prefix, remove: o.length - prefix - suffix, insert: n.slice(prefix, n.length - suffix) });
  };
  const parts = diffLines(oldMid, newMid);
  let at = ends.prefix;
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
