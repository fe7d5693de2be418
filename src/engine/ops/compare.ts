// Comparing versions: two versions of a file, or one with the file on disk
// (text: hunks with each change attributed to its version and author;
// binary: sizes, types, changed chunks), and blame: per line of a text file,
// the version that last changed it.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../crypto/sha256';
import { EngineError } from '../errors';
import { blameText, diffBinary, diffText, plainTextDiff, type BinaryDiff, type BlameLine, type TextDiff } from '../versions/compare';
import { asText } from '../versions/content';
import type { FileHistory } from '../versions/history';
import { fileOf, resolvePath, versionAt, type StateAndHistory } from '../versions/lookup';
import type { VersionRecord } from '../versions/records';
import { versionText } from '../versions/text-history';
import type { Session } from './session';

export type { Attribution, BinaryDiff, DiffLine, TextDiff } from '../versions/compare';

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

export interface Comparison {
  from: DiffSide;
  to: DiffSide;
  diff: TextDiff | BinaryDiff;
}

/**
 * Compares version `a` of a file with version `b`, or with the file on disk
 * when `b` is undefined. Text: attributed hunks; binary: sizes, types, chunks.
 */
export async function diff(s: Session, path: string, a: number | undefined, b?: { path: string; n?: number }): Promise<Comparison> {
  const v = await s.versions();
  const fromRecord = versionAt(v, path, a);
  const file = fileOf(v.history, fromRecord);
  const from = await sideOf(s, file, fromRecord);
  let to: DiffSide;
  if (b) {
    const toRecord = versionAt(v, b.path, b.n);
    to = await sideOf(s, fileOf(v.history, toRecord), toRecord);
  } else {
    to = await diskSide(v, path, file);
  }
  if (from.text !== undefined && to.text !== undefined) {
    const sameFile = to.record ? to.record.file === fromRecord.file : true;
    const attributed = sameFile ? await diffText(s.repo, file, { record: fromRecord }, to.record ? { record: to.record } : { disk: to.text, ...diskBase(v, file) }) : undefined;
    return { from, to, diff: attributed ?? plainTextDiff(from.text, to.text) };
  }
  return {
    from, to,
    diff: await diffBinary(s.repo,
      { record: fromRecord, size: from.size, sha256: from.sha256, path: from.path },
      { ...(to.record ? { record: to.record } : {}), ...(to.bytes ? { bytes: to.bytes } : {}), size: to.size, sha256: to.sha256, path: to.path }),
  };
}

/** Per line of a text file: the version (and author) that last changed it; unrecorded changes on disk show as such. */
export async function blame(s: Session, path: string, n?: number): Promise<BlameLine[]> {
  const v = await s.versions();
  const record = versionAt(v, path, n);
  const file = fileOf(v.history, record);
  if (!record.yjs) throw new EngineError('INVALID_ARGUMENT', `${record.path}@${record.n} is not text: blame is for text files`);
  if (n === undefined) {
    const disk = await diskSide(v, path, file);
    if (disk.text !== undefined && disk.sha256 !== record.sha256) return blameText(s.repo, file, { disk: disk.text, after: record });
  }
  return blameText(s.repo, file, { record });
}

async function sideOf(s: Session, file: FileHistory, record: VersionRecord): Promise<DiffSide> {
  if (record.op === 'delete') return { label: `${record.path}@${record.n} (deleted)`, path: record.path, record, size: 0, sha256: '', text: '' };
  const base = { label: `${record.path}@${record.n}`, path: record.path, record, size: record.size, sha256: record.sha256 };
  if (record.yjs) return { ...base, text: await versionText(s.repo, file, record) };
  return base;
}

/** The version the file on disk follows (for attributing its unrecorded changes). */
function diskBase({ state, history }: StateAndHistory, file: FileHistory): { after?: VersionRecord } {
  const head = history.headOf(file, state.settled.view());
  return head ? { after: head } : {};
}

async function diskSide({ state, history }: StateAndHistory, path: string, file: FileHistory): Promise<DiffSide> {
  const { folder } = resolvePath(state, path);
  const newest = (history.headOf(file, state.settled.view()) ?? file.versions.at(-1)) as VersionRecord;
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
