// Backup: walks source trees, stores new content through the BlobStore, writes
// one tree blob per directory and finally the snapshot object. Unchanged files
// (same size, mtime, ctime and inode as in the parent snapshot, with all their
// chunks indexed) are not read again, as restic does with its parent snapshot.

import { lstat, open, readdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { hostname } from 'node:os';
import { userName } from '../user-name';
import { basename, join, resolve } from 'node:path';
import { Limiter } from '../async/limiter';
import { EngineError, errorMessage } from '../errors';
import { BlobStore } from '../repo/blob-store';
import { BlobType, fromHex, toHex } from '../repo/format';
import type { Repository } from '../repo/repository';
import { ENGINE_VERSION } from '../version';
import { FileStore } from '../files/file-store';
import { fileChunks } from '../files/content-list';
import { findParent, loadTree, resolveSnapshot } from './snapshots';
import { encodeTree, type FileNode, type Snapshot, type Tree, type TreeNode } from './tree';

export interface BackupProgress {
  files: number;
  bytes: number;
  currentPath?: string;
}

export interface BackupOptions {
  paths: string[];
  tags?: string[];
  /** Use this snapshot as parent, or none with `false`; default: the newest of the same paths and host. */
  parent?: string | false;
  onProgress?: (progress: BackupProgress) => void;
  /** Unreadable or special files: skipped, reported here. */
  onWarning?: (path: string, message: string) => void;
}

export interface BackupResult {
  id: string;
  snapshot: Snapshot;
  warnings: number;
}

export async function backup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  if (options.paths.length === 0) throw new EngineError('INVALID_ARGUMENT', 'nothing to back up: give at least one path');
  const paths = options.paths.map((p) => resolve(p));
  const names = new Set<string>();
  for (const path of paths) {
    const name = basename(path) || 'root';
    if (names.has(name)) throw new EngineError('INVALID_ARGUMENT', `two paths end in the same name ${JSON.stringify(name)}; back them up separately`);
    names.add(name);
    try {
      await lstat(path);
    } catch (error) {
      throw new EngineError('NOT_FOUND', `cannot read ${path}: ${errorMessage(error)}`);
    }
  }
  await repo.ensureIndex();
  const parent = options.parent === false ? undefined
    : options.parent ? await resolveSnapshot(repo, options.parent)
    : await findParent(repo, paths);
  let parentRoot: Map<string, TreeNode> | undefined;
  if (parent) parentRoot = byName(await loadTree(repo, parent.snapshot.tree));

  const run = new BackupRun(repo, options);
  const nodes: TreeNode[] = [];
  for (const path of paths) {
    const node = await run.entry(path, basename(path) || 'root', parentRoot?.get(basename(path) || 'root'));
    if (node) nodes.push(node);
  }
  const root = await run.saveTree({ nodes });
  await run.store.flush();

  const stats = run.store.stats;
  const user = userName() ?? '';
  const snapshot: Snapshot = {
    version: 1,
    time: new Date().toISOString(),
    host: hostname(),
    user,
    paths,
    tree: root,
    ...(parent?.id ? { parent: parent.id } : {}),
    tags: options.tags ?? [],
    program: `strata ${ENGINE_VERSION}`,
    stats: {
      files: run.files,
      dirs: run.dirs,
      bytes: run.bytes,
      newBlobs: stats.newBlobs,
      newBytes: stats.newBytes,
      storedBytes: stats.storedBytes,
      reusedFiles: run.reusedFiles,
    },
  };
  const id = await repo.writeJson('snapshot', snapshot);
  return { id, snapshot, warnings: run.warnings };
}

function byName(tree: Tree): Map<string, TreeNode> {
  return new Map(tree.nodes.map((n) => [n.name, n]));
}

class BackupRun {
  readonly store: BlobStore;
  files = 0;
  dirs = 0;
  bytes = 0;
  reusedFiles = 0;
  warnings = 0;
  /** Files read at once: enough that the blob workers never wait on one file's round trips. */
  private readonly fileLimiter = new Limiter(6);
  private readonly fileStore: FileStore;
  private lastProgress = 0;
  /** Bytes read so far, for progress (file totals are counted when a file completes). */
  private progressBytes = 0;

  constructor(private readonly repo: Repository, private readonly options: BackupOptions) {
    this.store = new BlobStore(repo);
    this.fileStore = new FileStore(repo, this.store);
  }

  async entry(path: string, name: string, previous: TreeNode | undefined): Promise<TreeNode | undefined> {
    let st: Stats;
    try {
      st = await lstat(path);
    } catch (error) {
      this.warn(path, `cannot stat: ${errorMessage(error)}`);
      return undefined;
    }
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      const subtree = await this.directory(path, previous?.type === 'dir' ? previous.subtree : undefined);
      if (subtree === undefined) return undefined;
      this.dirs++;
      return { name, type: 'dir', mode, mtimeMs: st.mtimeMs, subtree };
    }
    if (st.isFile()) {
      return this.fileLimiter.run(() => this.file(path, name, st, previous?.type === 'file' ? previous : undefined));
    }
    if (st.isSymbolicLink()) {
      try {
        return { name, type: 'symlink', mode, mtimeMs: st.mtimeMs, target: await readlink(path) };
      } catch (error) {
        this.warn(path, `cannot read link: ${errorMessage(error)}`);
        return undefined;
      }
    }
    this.warn(path, 'skipped: not a regular file, directory or symlink (device, FIFO or socket)');
    return undefined;
  }

  async saveTree(tree: Tree): Promise<string> {
    const saved = this.store.save(BlobType.tree, encodeTree(tree));
    await saved.done;
    return toHex(saved.id);
  }

  private async directory(path: string, previousTree: string | undefined): Promise<string | undefined> {
    let names: string[];
    try {
      names = (await readdir(path)).sort();
    } catch (error) {
      this.warn(path, `cannot list: ${errorMessage(error)}`);
      return undefined;
    }
    let previous: Map<string, TreeNode> | undefined;
    if (previousTree) {
      try {
        previous = byName(await loadTree(this.repo, previousTree));
      } catch {
        previous = undefined; // parent damaged or pruned: read everything again
      }
    }
    const nodes = await Promise.all(names.map((name) => this.entry(join(path, name), name, previous?.get(name))));
    return this.saveTree({ nodes: nodes.filter((n): n is TreeNode => n !== undefined) });
  }

  private async file(path: string, name: string, st: Stats, previous: FileNode | undefined): Promise<FileNode | undefined> {
    const base = { name, type: 'file' as const, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, inode: st.ino };
    if (previous && previous.size === st.size && previous.mtimeMs === st.mtimeMs && previous.ctimeMs === st.ctimeMs &&
      previous.inode === st.ino && await this.contentIndexed(previous)) {
      this.files++;
      this.reusedFiles++;
      this.bytes += st.size;
      this.progress(path, st.size);
      return { ...base, size: previous.size, ...(previous.content ? { content: previous.content } : { contentList: previous.contentList ?? '' }) };
    }
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      this.warn(path, `cannot open: ${errorMessage(error)}`);
      return undefined;
    }
    let stored;
    try {
      stored = await this.fileStore.storeContent(handle, st.size, (bytes) => this.progress(path, bytes));
    } catch (error) {
      if (error instanceof EngineError || !isIoError(error)) throw error;
      this.warn(path, `cannot read: ${errorMessage(error)}`);
      return undefined;
    } finally {
      await handle.close();
    }
    this.files++;
    this.bytes += stored.size;
    return { ...base, size: stored.size, ...await this.fileStore.contentRef(stored.ids) };
  }

  /**
   * Every chunk of an unchanged file must be indexed before it is reused: after
   * a crash an index may name a list blob but not all the chunks it lists.
   */
  private async contentIndexed(node: FileNode): Promise<boolean> {
    if (node.content) return node.content.every((id) => this.repo.index.has(fromHex(id)));
    if (!node.contentList || !this.repo.index.has(fromHex(node.contentList))) return false;
    try {
      return (await fileChunks(this.repo, node)).every((id) => this.repo.index.has(id));
    } catch {
      return false; // unreadable list: read the file again
    }
  }

  private progress(path: string, bytes: number): void {
    if (!this.options.onProgress) return;
    this.progressBytes += bytes;
    const now = Date.now();
    if (now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.options.onProgress({ files: this.files, bytes: this.progressBytes, currentPath: path });
  }


  private warn(path: string, message: string): void {
    this.warnings++;
    this.options.onWarning?.(path, message);
  }
}

function isIoError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' &&
    /^E[A-Z]+$/.test((error as { code: string }).code);
}
