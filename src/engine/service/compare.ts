// Comparing two versions of a file (or a version with the file on disk) as
// the UI shows it. Text: the changed lines with context (the engine's hunks,
// flattened: line numbers show the gaps), word-level marks inside changed
// lines, and who wrote each added line. Images (PNG, JPEG, GIF, WebP, told
// by their bytes) up to IMAGE_LIMIT: both sides as data: URLs. Anything
// else: sizes, types, dimensions and how many chunks changed.

import { readFile } from 'node:fs/promises';
import type { CompareSide, Comparison, DiffLine } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { diff as compare, type BinaryDiff, type DiffLine as EngineLine, type DiffSide, type TextDiff } from '../ops/compare';
import type { Session } from '../ops/session';
import { sniff } from '../versions/compare';
import { versionBytes } from '../versions/content';
import { absolutePath, findFile, versionOf, type FileRef } from './files';

/** Largest image sent whole as a data: URL. */
const IMAGE_LIMIT = 4 * 1024 * 1024;

export async function compareVersions(session: Session, course: string, rel: string, a: number, b: number | undefined): Promise<Comparison> {
  const ref = findFile(await session.versions(), course, rel);
  const fromRecord = versionOf(ref, a, 'a');
  const toRecord = b !== undefined ? versionOf(ref, b, 'b') : undefined;
  if (fromRecord.op === 'delete' && toRecord?.op === 'delete') {
    throw new StrataError('INVALID_ARGUMENT', `Versions ${a} and ${b} of "${rel}" are both deletions: there is nothing to compare.`, 'b');
  }
  const { from, to, diff } = await compare(session, ref.abs, a, toRecord ? { path: ref.abs, n: toRecord.n } : undefined);
  const fromSide = side(from);
  const toSide = side(to);
  if (diff.kind === 'text') return { kind: 'text', from: fromSide, to: toSide, lines: textLines(diff), added: diff.added, removed: diff.removed };
  const images = await imagesOf(session, ref, diff, from, to);
  if (images) return { kind: 'image', from: { ...fromSide, ...images.from }, to: { ...toSide, ...images.to } };
  return binary(diff, fromSide, toSide);
}

function side(s: DiffSide): CompareSide {
  return { ...(s.record ? { n: s.record.n } : {}), label: s.label, size: s.size, sha256: s.sha256 };
}

/** The engine's hunks as lines: text without its line break, marks for the changed words of partly changed lines, attribution of added lines. */
function textLines(diff: TextDiff): DiffLine[] {
  const out: DiffLine[] = [];
  for (const hunk of diff.hunks) for (const line of hunk.lines) out.push(lineOf(line));
  return out;
}

function lineOf(line: EngineLine): DiffLine {
  let text = '';
  const marks: Array<[number, number]> = [];
  let partly = false;
  for (const seg of line.segments) {
    const start = text.length;
    text += seg.text;
    if (seg.type === 'same') partly = true;
    else {
      const last = marks.at(-1);
      if (last && last[1] === start) last[1] = text.length;
      else marks.push([start, text.length]);
    }
  }
  const body = text.replace(/\r?\n$/, '');
  const clipped = marks.map(([s, e]): [number, number] => [Math.min(s, body.length), Math.min(e, body.length)]).filter(([s, e]) => e > s);
  const by = line.type === 'added' ? line.segments.find((s) => s.type === 'added' && s.by && s.by.version !== null)?.by : undefined;
  return {
    kind: line.type,
    ...(line.oldLine !== undefined ? { left: line.oldLine } : {}),
    ...(line.newLine !== undefined ? { right: line.newLine } : {}),
    text: body,
    ...(partly && line.type !== 'same' && clipped.length > 0 ? { marks: clipped } : {}),
    ...(by && by.version !== null ? { by: { n: by.version, author: by.author } } : {}),
  };
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** The type (and dimensions) of image bytes, told by their magic bytes (the engine's sniff); undefined if not an image this compares. */
export function imageType(bytes: Uint8Array): { type: string; width?: number; height?: number } | undefined {
  const sniffed = sniff(bytes, '');
  return IMAGE_TYPES.has(sniffed.type) ? sniffed : undefined;
}

/** A side's bytes, if it may be shown whole (up to IMAGE_LIMIT; both sides are versions of `ref`, or the file on disk). */
async function bytesOf(session: Session, ref: FileRef, s: DiffSide): Promise<Uint8Array | undefined> {
  if (s.size === 0 || s.size > IMAGE_LIMIT) return undefined;
  if (s.record) return versionBytes(session.repo, ref.file, s.record, IMAGE_LIMIT); // undefined for a deletion
  try {
    const bytes = new Uint8Array(await readFile(absolutePath(ref.folder, s.path)));
    return bytes.length <= IMAGE_LIMIT ? bytes : undefined;
  } catch {
    return undefined;
  }
}

async function imagesOf(session: Session, ref: FileRef, diff: BinaryDiff, from: DiffSide, to: DiffSide): Promise<{ from: Partial<CompareSide>; to: Partial<CompareSide> } | undefined> {
  // Cheap first: the types the engine told from the first bytes.
  if (!IMAGE_TYPES.has(diff.old.type) || !IMAGE_TYPES.has(diff.new.type)) return undefined;
  const [a, b] = await Promise.all([bytesOf(session, ref, from), bytesOf(session, ref, to)]);
  if (!a || !b) return undefined;
  const ta = imageType(a);
  const tb = imageType(b);
  if (!ta || !tb) return undefined;
  const url = (bytes: Uint8Array, type: string): string => `data:${type};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')}`;
  const info = (t: { type: string; width?: number; height?: number }, bytes: Uint8Array): Partial<CompareSide> => ({
    image: url(bytes, t.type),
    type: t.type,
    ...(t.width !== undefined && t.height !== undefined ? { dimensions: { width: t.width, height: t.height } } : {}),
  });
  return { from: info(ta, a), to: info(tb, b) };
}

function binary(diff: BinaryDiff, from: CompareSide, to: CompareSide): Comparison {
  const withType = (s: CompareSide, info: BinaryDiff['old']): CompareSide => ({
    ...s,
    type: info.type,
    ...(info.width !== undefined && info.height !== undefined ? { dimensions: { width: info.width, height: info.height } } : {}),
  });
  const parts: string[] = [];
  if (diff.old.sha256 === diff.new.sha256) parts.push('same content');
  else parts.push(`${diff.old.size} → ${diff.new.size} bytes`);
  if (diff.old.type !== diff.new.type) parts.push(`${diff.old.type} → ${diff.new.type}`);
  if (diff.chunks) parts.push(`${diff.chunks.changed} of ${diff.chunks.new} chunks changed`);
  return {
    kind: 'binary',
    from: withType(from, diff.old),
    to: withType(to, diff.new),
    ...(diff.chunks ? { chunksChanged: diff.chunks.changed, chunks: diff.chunks.new } : {}),
    summary: parts.join('; '),
  };
}
