// Version records as stored: the record kinds, their validation when read
// back (a batch comes from storage and is checked like any untrusted input),
// and the batch object that carries them. Batches are written per device with
// a per-device sequence number in their name, so two devices never write the
// same object (docs/format.md, "Version batches"). A record is named by its
// place: batch and index (`recordRef`), which is how a version names the
// versions it follows.

import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { DamagedObjectError } from '../errors';
import { parseBatchName } from '../repo/format';

export const BATCH_FORMAT = 1;

/** What happened to a file in a version. */
export type VersionOp = 'add' | 'edit' | 'rename' | 'delete' | 'rollback' | 'restore' | 'merge';

export interface VersionRecord {
  kind: 'version';
  /** Folder id (random, stable; the folder's name and place are in folder records and local state). */
  folder: string;
  /** File id: random, stable across renames and moves. */
  file: string;
  /**
   * Version number of this file, from 1. As stored: the number the writer
   * gave it. In memory, once folded into a History: the number every device
   * holding the same records shows (history.ts renumbers).
   */
  n: number;
  /**
   * The versions this one follows (`recordRef`s of versions of the same
   * file): one usually, all heads for a merge or a resolved conflict, none
   * for a first version. Absent in records written before it existed: they
   * follow the version(s) numbered one less.
   */
  parents?: string[];
  /** Folder-relative path, '/'-separated, each part a safe name. */
  path: string;
  /** The previous path, for renames. */
  from?: string;
  op: VersionOp;
  time: string;
  author: string;
  device: string;
  size: number;
  /** Hex SHA-256 of the content; empty for deletions. */
  sha256: string;
  mode: number;
  mtimeMs: number;
  /** File system identity at the time (to tell unchanged files without reading them). */
  ctimeMs: number;
  inode: number;
  /** Binary content: chunk ids inline, or a list blob. */
  content?: string[];
  contentList?: string;
  /** Text content: the Yjs update of this version (text-history.ts). */
  yjs?: YjsRef;
  /** Generated: "+12 -3 lines", "3 of 40 chunks changed", ... */
  summary: string;
  /** Given by the user (--message). */
  message?: string;
  tags: string[];
  meta: Record<string, string>;
}

/** How a text version's content is stored. */
export interface YjsRef {
  /** 'empty': the update starts a document; 'previous': it applies to the union of its parents' documents. */
  base: 'empty' | 'previous';
  /** The Yjs client id this version edited with (attributes its insertions). */
  client: number;
  /** The update, base64, when small; else `blob`, the id of a data blob holding it. */
  update?: string;
  blob?: string;
  /** A data blob with the whole document state after this version (rebuilds start here). */
  checkpoint?: string;
}

export interface TagRecord {
  kind: 'tag';
  file: string;
  /** The tagged version's number when tagged; `version` (its recordRef) says which one for sure. */
  n: number;
  version?: string;
  tag: string;
  time: string;
  author: string;
  device: string;
}

export interface FolderRecord {
  kind: 'folder';
  folder: string;
  name: string;
  op: 'add' | 'remove';
  time: string;
  device: string;
}

export type HistoryRecord = VersionRecord | TagRecord | FolderRecord;

export interface Batch {
  format: typeof BATCH_FORMAT;
  device: string;
  seq: number;
  /**
   * The number of the batch this device wrote before this one (0: none).
   * Numbers between are reserved but never written (a crash, a failed
   * write); a batch this names that is not stored was lost (history.ts).
   * Absent in batches written before it existed: they name none.
   */
  prev?: number;
  time: string;
  records: HistoryRecord[];
  /**
   * Batches recorded as lost for good (`strata repair versions`): every
   * reader stops waiting for them (history.ts). Absent in most batches.
   */
  lost?: LostBatch[];
}

/** A batch recorded as lost: damaged (stored, but it does not open or validate) or missing (written, but not stored). */
export interface LostBatch {
  /** Its object name, `versions/<device>-<seq>`. */
  batch: string;
  reason: 'damaged' | 'missing';
  /** What was seen, for people. */
  detail?: string;
}

/** Object name of a device's batch number `seq`: `versions/<device>-<seq, 10 digits>`. */
export function batchName(device: string, seq: number): string {
  if (!DEVICE_ID.test(device)) throw new RangeError(`bad device id ${JSON.stringify(device)}`);
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > 9_999_999_999) throw new RangeError(`bad batch number ${seq}`);
  return `${BATCH_PREFIX}${device}-${String(seq).padStart(10, '0')}`;
}

export const BATCH_PREFIX = 'versions/';
export const DEVICE_ID = /^[0-9a-f]{16}$/;
const HEX_ID = /^[0-9a-f]{32}$/;
const CONTENT_ID = /^[0-9a-f]{64}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const OPS: readonly VersionOp[] = ['add', 'edit', 'rename', 'delete', 'rollback', 'restore', 'merge'];
const RECORD_REF = /^[0-9a-f]{16}-\d{10}:\d{1,7}$/;
/** A merge names every head it settles; more than this is not a history Strata writes. */
const MAX_PARENTS = 64;
/** Batches one batch may record as lost (format.md 4.10). */
export const MAX_LOST = 100_000;

/** The name of record `index` (from 0) of a device's batch `seq`: `<device>-<seq, 10 digits>:<index>`. */
export function recordRef(device: string, seq: number, index: number): string {
  return `${device}-${String(seq).padStart(10, '0')}:${index}`;
}

/** Whether `path` is a folder-relative path whose every part is a safe name. */
export function isSafeRelativePath(path: string): boolean {
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096) return false;
  return path.split('/').every((p) => p.length > 0 && p.length <= 1024 && p !== '.' && p !== '..' && !p.includes('\\') && !p.includes('\0'));
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;
const isTime = (v: unknown): v is string => isStr(v, 64) && !Number.isNaN(Date.parse(v));

function fail(name: string, why: string): never {
  throw new DamagedObjectError(name, `invalid version batch: ${why}`);
}

function checkVersion(name: string, r: Record<string, unknown>): VersionRecord {
  if (!isStr(r.folder) || !HEX_ID.test(r.folder)) fail(name, 'bad folder id');
  if (!isStr(r.file) || !HEX_ID.test(r.file)) fail(name, 'bad file id');
  if (!isInt(r.n) || r.n < 1) fail(name, 'bad version number');
  if (!isSafeRelativePath(r.path as string)) fail(name, `unsafe path ${JSON.stringify(String(r.path).slice(0, 100))}`);
  if (r.from !== undefined && !isSafeRelativePath(r.from as string)) fail(name, 'unsafe previous path');
  if (r.parents !== undefined && !(Array.isArray(r.parents) && r.parents.length <= MAX_PARENTS && r.parents.every((p) => isStr(p, 64) && RECORD_REF.test(p)))) fail(name, 'bad parents');
  if (!OPS.includes(r.op as VersionOp)) fail(name, 'bad operation');
  if (!isTime(r.time) || !isStr(r.author, 512) || !isStr(r.device) || !DEVICE_ID.test(r.device)) fail(name, 'bad time, author or device');
  if (!isInt(r.size) || !isInt(r.mode) || !isNum(r.mtimeMs) || !isNum(r.ctimeMs) || !isInt(r.inode)) fail(name, 'bad size or metadata');
  if (!isStr(r.sha256) || (r.op === 'delete' ? r.sha256 !== '' : !SHA256.test(r.sha256))) fail(name, 'bad checksum');
  const refs = [r.content, r.contentList, r.yjs].filter((v) => v !== undefined).length;
  if (r.op === 'delete' ? refs !== 0 : refs !== 1) fail(name, 'needs exactly one content reference (none for deletions)');
  const hasContent = r.content !== undefined;
  const hasList = r.contentList !== undefined;
  if (r.yjs !== undefined) checkYjs(name, r.yjs);
  if (hasContent && !(Array.isArray(r.content) && r.content.every((id) => isStr(id) && CONTENT_ID.test(id)))) fail(name, 'bad chunk ids');
  if (hasList && !(isStr(r.contentList) && CONTENT_ID.test(r.contentList))) fail(name, 'bad chunk list id');
  if (!isStr(r.summary, 1024) || (r.message !== undefined && !isStr(r.message, 65536))) fail(name, 'bad summary or message');
  if (!Array.isArray(r.tags) || !r.tags.every((t) => isStr(t, 256))) fail(name, 'bad tags');
  const meta = r.meta;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || !Object.values(meta).every((v) => isStr(v))) fail(name, 'bad metadata');
  return r as unknown as VersionRecord;
}

function checkYjs(name: string, value: unknown): void {
  const y = value as Record<string, unknown> | null;
  if (typeof y !== 'object' || y === null) fail(name, 'bad text reference');
  if (y.base !== 'empty' && y.base !== 'previous') fail(name, 'bad text base');
  if (!isInt(y.client) || y.client < 1 || y.client >= 2 ** 32) fail(name, 'bad text client');
  const inline = y.update !== undefined;
  if (inline === (y.blob !== undefined)) fail(name, 'a text version needs its update inline or in a blob');
  if (inline && !(isStr(y.update, 1 << 20) && /^[A-Za-z0-9+/]*={0,2}$/.test(y.update))) fail(name, 'bad inline update');
  if (y.blob !== undefined && !(isStr(y.blob) && CONTENT_ID.test(y.blob))) fail(name, 'bad update blob id');
  if (y.checkpoint !== undefined && !(isStr(y.checkpoint) && CONTENT_ID.test(y.checkpoint))) fail(name, 'bad checkpoint blob id');
}

function checkLost(name: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LOST) fail(name, `lost must list 1 to ${MAX_LOST} batches`);
  for (const item of value as unknown[]) {
    const l = item as Record<string, unknown> | null;
    if (typeof l !== 'object' || l === null || !isStr(l.batch, 64) || parseBatchName(l.batch) === undefined || l.batch === name) fail(name, 'a lost batch is not named as another batch');
    if (l.reason !== 'damaged' && l.reason !== 'missing') fail(name, 'a lost batch\'s reason is not damaged or missing');
    if (l.detail !== undefined && !isStr(l.detail, 1024)) fail(name, 'a lost batch\'s detail is not a string of at most 1024');
  }
}

/** A batch's stored plaintext: its JSON, brotli-compressed (records repeat ids and field names). */
export function encodeBatch(batch: Batch): Uint8Array {
  const json = Buffer.from(JSON.stringify(batch));
  return new Uint8Array(brotliCompressSync(json, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: json.length } }));
}

/** Decodes and validates a batch's plaintext (`name` for messages). */
export function decodeBatch(name: string, plain: Uint8Array): Batch {
  let value: unknown;
  try {
    value = JSON.parse(brotliDecompressSync(plain, { maxOutputLength: 256 * 1024 * 1024 }).toString('utf8'));
  } catch (error) {
    throw new DamagedObjectError(name, 'version batch does not decompress to JSON', { cause: error });
  }
  return parseBatch(name, value);
}

/** Validates a decrypted batch object (`name` for messages); returns it typed. */
export function parseBatch(name: string, value: unknown): Batch {
  if (typeof value !== 'object' || value === null) fail(name, 'not an object');
  const b = value as Record<string, unknown>;
  if (b.format !== BATCH_FORMAT) fail(name, `unsupported format ${String(b.format)}`);
  const where = parseBatchName(name);
  if (!where || b.device !== where.device || b.seq !== where.seq) fail(name, 'device or number does not match the name');
  if (b.prev !== undefined && !(isInt(b.prev) && b.prev < where.seq)) fail(name, 'bad previous batch number');
  if (!isTime(b.time) || !Array.isArray(b.records)) fail(name, 'bad time or records');
  if (b.lost !== undefined) checkLost(name, b.lost);
  for (const item of b.records as unknown[]) {
    if (typeof item !== 'object' || item === null) fail(name, 'a record is not an object');
    const r = item as Record<string, unknown>;
    if (r.device !== b.device) fail(name, 'a record names another device');
    if (r.kind === 'version') checkVersion(name, r);
    else if (r.kind === 'tag') {
      if (!isStr(r.file) || !HEX_ID.test(r.file) || !isInt(r.n) || r.n < 1 || !isStr(r.tag, 256) || r.tag === '' || !isTime(r.time) || !isStr(r.author, 512)) fail(name, 'bad tag record');
      if (r.version !== undefined && !(isStr(r.version, 64) && RECORD_REF.test(r.version))) fail(name, 'bad tagged version');
    } else if (r.kind === 'folder') {
      if (!isStr(r.folder) || !HEX_ID.test(r.folder) || !isStr(r.name, 256) || r.name === '' || (r.op !== 'add' && r.op !== 'remove') || !isTime(r.time)) fail(name, 'bad folder record');
    } else fail(name, `unknown record kind ${JSON.stringify(String(r.kind).slice(0, 40))}`);
  }
  return value as Batch;
}
