// Trees and snapshots as stored: a tree blob lists one directory's entries
// (JSON, sorted by name); a snapshot object names the root tree. Trees are
// content-addressed blobs, so an unchanged directory costs nothing in the next
// snapshot. Everything read here is validated: a hostile repository must not
// be able to make restore write outside its target.

import { DamagedObjectError } from '../errors';
import { isHexId } from '../repo/format';

export interface FileNode {
  name: string;
  type: 'file';
  mode: number;
  mtimeMs: number;
  ctimeMs: number;
  inode: number;
  size: number;
  /** Chunk ids in order (hex), or `contentList`, the id of a list blob holding them, for large files. */
  content?: string[];
  contentList?: string;
}

export interface DirNode {
  name: string;
  type: 'dir';
  mode: number;
  mtimeMs: number;
  subtree: string;
}

export interface SymlinkNode {
  name: string;
  type: 'symlink';
  mode: number;
  mtimeMs: number;
  target: string;
}

export type TreeNode = FileNode | DirNode | SymlinkNode;

export interface Tree {
  nodes: TreeNode[];
}

export interface SnapshotStats {
  files: number;
  dirs: number;
  bytes: number;
  newBlobs: number;
  newBytes: number;
  storedBytes: number;
  reusedFiles: number;
}

export interface Snapshot {
  version: 1;
  time: string;
  host: string;
  user: string;
  /** Absolute source paths, in the order given. */
  paths: string[];
  tree: string;
  parent?: string;
  tags: string[];
  program: string;
  stats: SnapshotStats;
}

/** A single path component that is safe to join under a directory. */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name.length <= 1024 && name !== '.' && name !== '..' &&
    !name.includes('/') && !name.includes('\\') && !name.includes('\0');
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A time in ms that a Date can hold (±8.64e15), so printing or applying it cannot throw. */
const isTimeMs = (v: unknown): v is number => isNum(v) && Math.abs(v) <= 8.64e15;

/** Parses and validates a tree blob. */
export function decodeTree(where: string, bytes: Uint8Array): Tree {
  const fail = (why: string): never => {
    throw new DamagedObjectError(where, `invalid tree: ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail('not JSON');
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { nodes?: unknown }).nodes)) return fail('no nodes');
  const seen = new Set<string>();
  const nodes: TreeNode[] = [];
  for (const raw of (value as { nodes: unknown[] }).nodes) {
    if (typeof raw !== 'object' || raw === null) return fail('node is not an object');
    const n = raw as Record<string, unknown>;
    if (typeof n.name !== 'string') return fail('node without a name');
    // Names are checked by restore too (with a precise error); here only shape.
    if (seen.has(n.name)) fail(`duplicate name ${JSON.stringify(n.name)}`);
    seen.add(n.name);
    if (!isInt(n.mode) || (n.mode as number) > 0o7777 || !isTimeMs(n.mtimeMs)) fail(`bad metadata for ${JSON.stringify(n.name)}`);
    if (n.type === 'file') {
      if (!isInt(n.size) || !isNum(n.ctimeMs) || !isInt(n.inode)) fail(`bad file metadata for ${JSON.stringify(n.name)}`);
      const node: FileNode = { name: n.name, type: 'file', mode: n.mode as number, mtimeMs: n.mtimeMs as number, ctimeMs: n.ctimeMs as number, inode: n.inode as number, size: n.size as number };
      if (Array.isArray(n.content) && n.content.every((c) => typeof c === 'string' && isHexId(c))) node.content = n.content as string[];
      else if (typeof n.contentList === 'string' && isHexId(n.contentList)) node.contentList = n.contentList;
      else fail(`file ${JSON.stringify(n.name)} has no valid content`);
      nodes.push(node);
    } else if (n.type === 'dir') {
      if (typeof n.subtree !== 'string' || !isHexId(n.subtree)) return fail(`dir ${JSON.stringify(n.name)} has no subtree`);
      nodes.push({ name: n.name, type: 'dir', mode: n.mode as number, mtimeMs: n.mtimeMs as number, subtree: n.subtree });
    } else if (n.type === 'symlink') {
      if (typeof n.target !== 'string') return fail(`symlink ${JSON.stringify(n.name)} has no target`);
      nodes.push({ name: n.name, type: 'symlink', mode: n.mode as number, mtimeMs: n.mtimeMs as number, target: n.target });
    } else {
      fail(`unknown node type ${String(n.type)}`);
    }
  }
  return { nodes };
}

export function encodeTree(tree: Tree): Uint8Array {
  const nodes = [...tree.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new TextEncoder().encode(JSON.stringify({ nodes }));
}

/** The counters of `stats`, each optional (default 0). */
const STAT_COUNTERS = ['files', 'dirs', 'bytes', 'newBlobs', 'newBytes', 'storedBytes', 'reusedFiles'] as const;

/**
 * Parses and validates a snapshot: the one place its fields are read from
 * storage. Optional fields that are absent (or null) get their defaults here,
 * so no consumer ever sees undefined; a field that is present with the wrong
 * type makes the snapshot damaged rather than a crash somewhere later.
 */
export function validateSnapshot(where: string, value: unknown): Snapshot {
  const fail = (why: string): never => {
    throw new DamagedObjectError(where, `invalid snapshot: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not an object');
  const s = value as Record<string, unknown>;
  const absent = (field: string): boolean => s[field] === undefined || s[field] === null;
  const text = (field: string): string => {
    if (absent(field)) return '';
    const v = s[field];
    return typeof v === 'string' ? v : fail(`${field} is not a string`);
  };
  if (s.version !== 1) fail('unsupported version');
  if (typeof s.time !== 'string' || Number.isNaN(Date.parse(s.time))) fail('bad time');
  if (typeof s.tree !== 'string' || !isHexId(s.tree)) fail('bad tree id');
  if (!Array.isArray(s.paths) || !s.paths.every((p) => typeof p === 'string')) fail('bad paths');
  if (typeof s.stats !== 'object' || s.stats === null || Array.isArray(s.stats)) fail('bad stats');
  if (!absent('parent') && (typeof s.parent !== 'string' || !isHexId(s.parent))) fail('bad parent id');
  if (!absent('tags') && !(Array.isArray(s.tags) && s.tags.every((t) => typeof t === 'string'))) fail('bad tags');
  const rawStats = s.stats as Record<string, unknown>;
  const stats = {} as SnapshotStats;
  for (const counter of STAT_COUNTERS) {
    const v = rawStats[counter];
    if (v === undefined || v === null) stats[counter] = 0;
    else if (isInt(v)) stats[counter] = v;
    else fail(`stats.${counter} is not a whole number`);
  }
  return {
    version: 1,
    time: s.time as string,
    host: text('host'),
    user: text('user'),
    paths: s.paths as string[],
    tree: s.tree as string,
    ...(absent('parent') ? {} : { parent: s.parent as string }),
    tags: absent('tags') ? [] : (s.tags as string[]),
    program: text('program'),
    stats,
  };
}
