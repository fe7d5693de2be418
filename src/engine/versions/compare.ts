// Comparing versions. Text: a character-level diff taken from Yjs snapshots,
// so every inserted piece is attributed to the version that inserted it and
// every removed piece to the version that removed it; shown as line hunks
// with the changed words marked, and as per-line blame. Binary: size, type,
// checksum, how many chunks differ, and image dimensions.

import { diffLines, diffWordsWithSpace, type Change } from 'diff';
import * as Y from 'yjs';
import { EngineError } from '../errors';
import { BlobType } from '../repo/format';
import type { Repository } from '../repo/repository';
import { versionChunks } from './content';
import type { FileHistory } from './history';
import type { VersionRecord, YjsRef } from './records';
import { applyTextChange, loadBytes, splitLines, textChain, textOf, textRoots } from './text-history';

/** Who made a change: a version, or the file on disk not yet recorded. */
export interface Attribution {
  version: number | null;
  author: string;
  time: string | null;
}

export interface Segment {
  text: string;
  type: 'same' | 'added' | 'removed';
  by?: Attribution;
}

export interface DiffLine {
  type: 'same' | 'added' | 'removed';
  /** Line numbers (1-based) in the old and new text. */
  oldLine?: number;
  newLine?: number;
  /** The line's pieces: for a changed line, which words changed and who changed them. */
  segments: Segment[];
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface TextDiff {
  kind: 'text';
  added: number;
  removed: number;
  hunks: Hunk[];
}

export interface BinaryDiff {
  kind: 'binary';
  old: BinaryInfo;
  new: BinaryInfo;
  chunks: { old: number; new: number; changed: number } | null;
}

export interface BinaryInfo {
  size: number;
  sha256: string;
  type: string;
  width?: number;
  height?: number;
}

export interface BlameLine {
  line: number;
  text: string;
  by: Attribution;
}

const UNRECORDED: Attribution = { version: null, author: 'not recorded yet', time: null };
const TEXT = 'content';

/**
 * One side of a comparison: a recorded text version, or text on disk, an
 * edit of version `after` (by default the file's newest head).
 */
export type TextSide = { record: VersionRecord } | { disk: string; after?: VersionRecord };

interface Attributed {
  doc: Y.Doc;
  snapshots: Map<string, Y.Snapshot>;
  byClient: Map<number, Attribution>;
  deletions: Array<{ ds: DeleteSet; by: Attribution }>;
}

type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds'];

function attributionOf(record: VersionRecord): Attribution {
  return { version: record.n, author: record.author, time: record.time };
}

/** A state vector with the higher clock of each client of `a` and `b`. */
function joinStates(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  const out = new Map(a);
  for (const [client, clock] of b) out.set(client, Math.max(out.get(client) ?? 0, clock));
  return out;
}

/**
 * Rebuilds the documents either side needs into one (the union of their
 * histories), with a snapshot of each version's own document (its delete set
 * and its state vector: its ancestors' clocks and its own) and, for
 * attribution, who inserted (client ids) and who deleted (each version's
 * delete set) what. Undefined when the sides are not one text history.
 */
async function attributedDoc(repo: Repository, file: FileHistory, sides: TextSide[]): Promise<Attributed | undefined> {
  const diskSide = sides.find((s): s is { disk: string; after?: VersionRecord } => 'disk' in s);
  const diskBase = diskSide ? (diskSide.after ?? file.heads.at(-1)) : undefined;
  const targets = [...sides.flatMap((s) => ('record' in s ? [s.record] : [])), ...(diskBase ? [diskBase] : [])];
  if (targets.length === 0 || !targets.every((t) => t.yjs)) return undefined;
  const roots = targets.map((t) => [...textRoots(file, t)].map((r) => r.n).sort((x, y) => x - y).join(' '));
  if (new Set(roots).size > 1) return undefined; // a text history started anew in between: not one history
  // Replay the text run (update by update: checkpoints are for rebuilding, not for attribution).
  const run = textChain(file, targets, false);
  const doc = new Y.Doc({ gc: false });
  const snapshots = new Map<string, Y.Snapshot>();
  const deletions: Attributed['deletions'] = [];
  const byClient = new Map<number, Attribution>();
  const updates = new Map<VersionRecord, Uint8Array>();
  const states = new Map<VersionRecord, Map<number, number>>();
  for (const v of file.versions) if (v.yjs) byClient.set(v.yjs.client, attributionOf(v));
  for (const v of run) {
    const update = await loadBytes(repo, v.yjs as YjsRef, `${v.path}@${v.n}`);
    updates.set(v, update);
    const { ds } = Y.decodeUpdate(update);
    deletions.push({ ds, by: attributionOf(v) });
    Y.applyUpdate(doc, update);
    let state = new Map<number, number>();
    if (v.yjs?.base !== 'empty') for (const p of file.parents.get(v) ?? []) state = joinStates(state, states.get(p) ?? new Map());
    state = joinStates(state, Y.parseUpdateMeta(update).to);
    states.set(v, state);
    snapshots.set(`v${v.n}`, Y.createSnapshot(ds, state));
  }
  if (diskSide && diskBase) {
    // The disk's text is an edit of its base version's document, not of the union with another side.
    const baseRun = textChain(file, diskBase, false);
    let work = doc;
    if (baseRun.length !== run.length) {
      work = new Y.Doc({ gc: false });
      for (const v of baseRun) Y.applyUpdate(work, updates.get(v) as Uint8Array);
    }
    const before = Y.encodeStateVector(work);
    work.clientID = 0x7fffffff; // never a version's (those are random in [1, 2^31))
    byClient.set(work.clientID, UNRECORDED);
    work.transact(() => applyTextChange(work.getText(TEXT), textOf(work), diskSide.disk));
    const update = Y.encodeStateAsUpdate(work, before);
    if (work !== doc) Y.applyUpdate(doc, update);
    const { ds } = Y.decodeUpdate(update);
    deletions.push({ ds, by: UNRECORDED });
    snapshots.set('disk', Y.createSnapshot(ds, joinStates(states.get(diskBase) ?? new Map(), Y.parseUpdateMeta(update).to)));
  }
  return { doc, snapshots, byClient, deletions };
}

function sideKey(side: TextSide): string {
  return 'record' in side ? `v${side.record.n}` : 'disk';
}

function deletedBy(a: Attributed, id: Y.ID): Attribution | undefined {
  for (const { ds, by } of a.deletions) {
    for (const item of ds.clients.get(id.client) ?? []) if (id.clock >= item.clock && id.clock < item.clock + item.len) return by;
  }
  return undefined;
}

/** Character-level changes from `from` to `to`, attributed. */
function attributedDelta(a: Attributed, from: Y.Snapshot, to: Y.Snapshot): Segment[] {
  const text = a.doc.getText(TEXT);
  const delta = text.toDelta(to, from, (type: 'added' | 'removed', id: Y.ID) => ({ type, id })) as Array<{ insert: string; attributes?: { ychange?: { type: 'added' | 'removed'; id: Y.ID } } }>;
  return delta.map((d) => {
    const change = d.attributes?.ychange;
    if (!change) return { text: d.insert, type: 'same' as const };
    const by = change.type === 'added' ? a.byClient.get(change.id.client) : deletedBy(a, change.id);
    return { text: d.insert, type: change.type, ...(by ? { by } : {}) };
  });
}

/** Who changed which characters: ranges of the old text (removals) and of the new text (insertions). */
interface Ranges {
  removed: Array<{ start: number; end: number; by: Attribution }>;
  added: Array<{ start: number; end: number; by: Attribution }>;
}

function rangesOf(segments: Segment[]): Ranges {
  const ranges: Ranges = { removed: [], added: [] };
  let oldPos = 0;
  let newPos = 0;
  for (const seg of segments) {
    const n = seg.text.length;
    if (seg.type === 'same') {
      oldPos += n;
      newPos += n;
    } else if (seg.type === 'added') {
      if (seg.by) ranges.added.push({ start: newPos, end: newPos + n, by: seg.by });
      newPos += n;
    } else {
      if (seg.by) ranges.removed.push({ start: oldPos, end: oldPos + n, by: seg.by });
      oldPos += n;
    }
  }
  return ranges;
}

/** The attribution of the first attributed character in [start, end). */
function attributionIn(list: Ranges['added'], start: number, end: number): Attribution | undefined {
  for (const r of list) if (r.start < end && r.end > start) return r.by;
  return undefined;
}

/** A text diff between two sides of one file's history, with attribution; undefined if they are not in one text history. */
export async function diffText(repo: Repository, file: FileHistory, from: TextSide, to: TextSide, context = 3): Promise<TextDiff | undefined> {
  const a = await attributedDoc(repo, file, [from, to]);
  if (!a) return undefined;
  const s1 = a.snapshots.get(sideKey(from));
  const s2 = a.snapshots.get(sideKey(to));
  if (!s1 || !s2) return undefined;
  const segments = attributedDelta(a, s1, s2);
  const oldText = segments.filter((sg) => sg.type !== 'added').map((sg) => sg.text).join('');
  const newText = segments.filter((sg) => sg.type !== 'removed').map((sg) => sg.text).join('');
  return buildDiff(oldText, newText, rangesOf(segments), context);
}

/** A diff of two texts without a shared text history (no attribution). */
export function plainTextDiff(before: string, after: string, context = 3): TextDiff {
  return buildDiff(before, after, { removed: [], added: [] }, context);
}

/**
 * Line hunks (lines aligned by a line diff), with the changed words of each
 * changed line marked (a word diff of each block of removed lines against the
 * block of added lines that replaces it) and attributed from `ranges`.
 */
function buildDiff(oldText: string, newText: string, ranges: Ranges, context: number): TextDiff {
  const rows: DiffLine[] = [];
  let oldLine = 1;
  let newLine = 1;
  let oldOff = 0;
  let newOff = 0;
  const side = (segments: Segment[], type: 'added' | 'removed'): void => {
    let line: Segment[] = [];
    const flush = (): void => {
      if (line.length === 0) return;
      rows.push(type === 'removed' ? { type, oldLine: oldLine++, segments: line } : { type, newLine: newLine++, segments: line });
      line = [];
    };
    for (const seg of segments) {
      for (const part of splitLines(seg.text)) {
        line.push({ ...seg, text: part });
        if (part.endsWith('\n')) flush();
      }
    }
    flush();
  };
  const lineSegments = (text: string, type: 'added' | 'removed', list: Ranges['added'], offset: number): Segment[] => {
    let at = offset;
    return splitLines(text).map((l) => {
      const by = attributionIn(list, at, at + l.length);
      at += l.length;
      return { text: l, type, ...(by ? { by } : {}) };
    });
  };
  const parts: Change[] = diffLines(oldText, newText);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as Change;
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      // A block replaced by another: mark the words that changed, attributed.
      const oldSegs: Segment[] = [];
      const newSegs: Segment[] = [];
      let o = oldOff;
      let n = newOff;
      for (const w of diffWordsWithSpace(part.value, next.value)) {
        const len = w.value.length;
        if (w.removed) {
          const by = attributionIn(ranges.removed, o, o + len);
          oldSegs.push({ text: w.value, type: 'removed', ...(by ? { by } : {}) });
          o += len;
        } else if (w.added) {
          const by = attributionIn(ranges.added, n, n + len);
          newSegs.push({ text: w.value, type: 'added', ...(by ? { by } : {}) });
          n += len;
        } else {
          oldSegs.push({ text: w.value, type: 'same' });
          newSegs.push({ text: w.value, type: 'same' });
          o += len;
          n += len;
        }
      }
      side(oldSegs, 'removed');
      side(newSegs, 'added');
      oldOff += part.value.length;
      newOff += next.value.length;
      i++;
    } else if (part.removed) {
      side(lineSegments(part.value, 'removed', ranges.removed, oldOff), 'removed');
      oldOff += part.value.length;
    } else if (part.added) {
      side(lineSegments(part.value, 'added', ranges.added, newOff), 'added');
      newOff += part.value.length;
    } else {
      for (const l of splitLines(part.value)) rows.push({ type: 'same', oldLine: oldLine++, newLine: newLine++, segments: [{ text: l, type: 'same' }] });
      oldOff += part.value.length;
      newOff += part.value.length;
    }
  }
  // Hunks: changed rows with up to `context` unchanged rows around them; changes closer than that share a hunk.
  const hunks: Hunk[] = [];
  let k = 0;
  let lastStop = 0;
  while (k < rows.length) {
    if ((rows[k] as DiffLine).type === 'same') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context, lastStop);
    let end = k;
    for (;;) {
      while (end < rows.length && (rows[end] as DiffLine).type !== 'same') end++;
      let same = end;
      while (same < rows.length && (rows[same] as DiffLine).type === 'same') same++;
      if (same < rows.length && same - end <= 2 * context) end = same;
      else break;
    }
    const stop = Math.min(rows.length, end + context);
    const lines = rows.slice(start, stop);
    hunks.push({
      oldStart: lines.find((l) => l.oldLine !== undefined)?.oldLine ?? 0,
      oldLines: lines.filter((l) => l.type !== 'added').length,
      newStart: lines.find((l) => l.newLine !== undefined)?.newLine ?? 0,
      newLines: lines.filter((l) => l.type !== 'removed').length,
      lines,
    });
    lastStop = stop;
    k = stop;
  }
  return { kind: 'text', added: rows.filter((r) => r.type === 'added').length, removed: rows.filter((r) => r.type === 'removed').length, hunks };
}

/** Per line of a side (a version, or the disk text after the newest version): the version that last changed it. */
export async function blameText(repo: Repository, file: FileHistory, side: TextSide): Promise<BlameLine[]> {
  const a = await attributedDoc(repo, file, [side]);
  if (!a) throw new EngineError('INVALID_ARGUMENT', 'blame needs a text file with text history');
  const snap = a.snapshots.get(sideKey(side));
  if (!snap) throw new EngineError('INVALID_ARGUMENT', 'no such state to blame');
  const segments = attributedDelta(a, Y.emptySnapshot, snap);
  const lines: BlameLine[] = [];
  let text = '';
  let by: Attribution | undefined;
  const later = (x: Attribution | undefined, y: Attribution | undefined): Attribution | undefined => {
    if (!x) return y;
    if (!y) return x;
    if (x.version === null) return x;
    if (y.version === null) return y;
    return y.version > x.version ? y : x;
  };
  for (const seg of segments) {
    for (const part of splitLines(seg.text)) {
      text += part;
      by = later(by, seg.by);
      if (part.endsWith('\n')) {
        lines.push({ line: lines.length + 1, text: text.slice(0, -1).replace(/\r$/, ''), by: by ?? UNRECORDED });
        text = '';
        by = undefined;
      }
    }
  }
  if (text !== '') lines.push({ line: lines.length + 1, text, by: by ?? UNRECORDED });
  return lines;
}

/** What a binary comparison shows. */
export async function diffBinary(repo: Repository, from: { record?: VersionRecord; bytes?: Uint8Array; size: number; sha256: string; path: string }, to: { record?: VersionRecord; bytes?: Uint8Array; size: number; sha256: string; path: string }): Promise<BinaryDiff> {
  const info = async (side: typeof from): Promise<BinaryInfo> => {
    const head = side.bytes ?? (side.record ? await headOf(repo, side.record) : new Uint8Array());
    return { size: side.size, sha256: side.sha256, ...sniff(head, side.path) };
  };
  let chunks: BinaryDiff['chunks'] = null;
  if (from.record && to.record && !from.record.yjs && !to.record.yjs) {
    const [a, b] = await Promise.all([versionChunks(repo, from.record), versionChunks(repo, to.record)]);
    const old = new Set(a.map((id) => Buffer.from(id).toString('hex')));
    chunks = { old: a.length, new: b.length, changed: b.filter((id) => !old.has(Buffer.from(id).toString('hex'))).length };
  }
  return { kind: 'binary', old: await info(from), new: await info(to), chunks };
}

/** The first bytes of a binary version (its first chunk), enough to tell its type and image size. */
async function headOf(repo: Repository, record: VersionRecord): Promise<Uint8Array> {
  const [first] = await versionChunks(repo, record);
  if (!first) return new Uint8Array();
  return repo.loadBlob(first, BlobType.data);
}

/** File type from magic bytes (else the name's extension), and image dimensions where the header gives them. */
export function sniff(head: Uint8Array, path: string): { type: string; width?: number; height?: number } {
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47) return { type: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'GIF') return { type: 'image/gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // JPEG: walk the segments to a start-of-frame marker.
    let at = 2;
    while (at + 9 < b.length) {
      if (b[at] !== 0xff) break;
      const marker = b[at + 1] as number;
      const length = b.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'image/jpeg', height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
      }
      at += 2 + length;
    }
    return { type: 'image/jpeg' };
  }
  if (b.length >= 16 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return { type: 'image/webp', ...webpSize(b) };
  if (b.length >= 5 && b.toString('latin1', 0, 5) === '%PDF-') return { type: 'application/pdf' };
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') return { type: 'video/mp4' };
  if (b.length >= 4 && b.readUInt32BE(0) === 0x504b0304) return { type: 'application/zip' };
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return { type: ext ? `.${ext} file` : 'binary' };
}

/** A WebP's dimensions from its first chunk (lossy, lossless or extended). */
function webpSize(b: Buffer): { width?: number; height?: number } {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ' && b.length >= 30) return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  return {};
}
