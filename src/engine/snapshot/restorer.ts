// Restore: rebuilds a snapshot's tree (or part of it) under a target
// directory. Every name is checked before use and existing directories are
// entered only if they are real directories (never symlinks), so a hostile
// snapshot cannot write outside the target. Files are written to a temporary
// name and renamed into place, so a reader never sees a half-written file;
// mode and mtime are restored, directories' mtimes last. Damaged or missing
// data costs only the files (or folders) that need it: they are named in the
// result and everything else is restored. A target may hold the repository
// (a home folder holding ~/Strata); the folder that is the repository is
// never entered (RepositoryFence), and named as refused.

import { randomBytes } from 'node:crypto';
import { chmod, lstat, lutimes, mkdir, open, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Limiter } from '../async/limiter';
import { EngineError, UnsafePathError } from '../errors';
import { guardRestoreTarget, repositoryDirectory, RepositoryFence } from '../fs/repository-guard';
import type { IndexedBlob } from '../repo/chunk-index';
import { toHex } from '../repo/format';
import type { Repository } from '../repo/repository';
import { SharedBufferPool } from '../memory/shared-buffers';
import { fileChunks } from '../files/content-list';
import { loadTree } from './snapshots';
import { isSafeName, type FileNode, type Snapshot, type Tree, type TreeNode } from './tree';

export interface RestoreProgress {
  files: number;
  bytes: number;
  currentPath?: string;
}

export interface RestoreOptions {
  target: string;
  /** Snapshot-relative paths ('course/lesson.md'); only these (and what is under them) are restored. */
  include?: string[];
  onProgress?: (progress: RestoreProgress) => void;
  onWarning?: (path: string, message: string) => void;
}

export interface RestoreResult {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /**
   * Files whose data is damaged or missing (a blob that fails authentication,
   * a pack cut short or gone), and folders, as `path/`, whose tree is: not
   * restored (nothing half-written is left), the rest is.
   */
  failed: Array<{ path: string; message: string }>;
  /**
   * Folders, as `path/`, not restored because they are the repository (the
   * target holds it): nothing is written into them, the rest is restored.
   */
  refused: Array<{ path: string; message: string }>;
}

/** Splits and validates a snapshot-relative include path. */
function includeParts(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new EngineError('INVALID_ARGUMENT', `empty include path ${JSON.stringify(path)}`);
  for (const p of parts) if (!isSafeName(p)) throw new UnsafePathError(path, 'include paths are relative to the snapshot and may not contain ".."');
  return parts;
}

export async function restore(repo: Repository, snapshot: Snapshot, options: RestoreOptions): Promise<RestoreResult> {
  await repo.ensureIndex();
  const target = resolve(options.target);
  await guardRestoreTarget(target, repositoryDirectory(repo)); // never into the repository itself, whatever link leads there
  try {
    await mkdir(target, { recursive: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new EngineError('INVALID_ARGUMENT', `restore target ${target} is not a directory`);
    throw error;
  }
  const st = await lstat(target);
  if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `restore target ${target} is not a directory`);
  const includes = (options.include ?? []).map(includeParts);
  const run = new RestoreRun(repo, options, await RepositoryFence.around(repositoryDirectory(repo)));
  await run.directory(snapshot.tree, target, '', includes.length > 0 ? includes : undefined);
  await run.finish();
  return { files: run.files, dirs: run.dirs, symlinks: run.symlinks, bytes: run.bytes, failed: run.failed, refused: run.refused };
}

/** Largest single read of adjacent blobs. */
const RUN_BYTES = 8 * 1024 * 1024;
/** Files restored at once. */
const FILES_AT_ONCE = 6;

/** Damaged or missing data (a blob that fails authentication, a pack cut short or gone): it costs what needs it, not the restore. */
function isDamage(error: unknown): error is EngineError {
  return error instanceof EngineError && error.code === 'DAMAGED';
}

/** setuid and setgid are never restored: a snapshot must not be able to plant privileged files. */
function safeMode(mode: number): number {
  return mode & 0o1777;
}

interface LoadedRun {
  pieces: Uint8Array[];
  /** The memory the run was read into, for the pool once the pieces are written. */
  buffer: Uint8Array;
}

class RestoreRun {
  files = 0;
  dirs = 0;
  symlinks = 0;
  bytes = 0;
  readonly failed: Array<{ path: string; message: string }> = [];
  readonly refused: Array<{ path: string; message: string }> = [];
  private readonly fileLimiter = new Limiter(FILES_AT_ONCE);
  /** Memory for runs being read and written: each file has one being written and one being read. */
  private readonly runBuffers = new SharedBufferPool(RUN_BYTES, 2 * FILES_AT_ONCE);
  private readonly pending: Promise<void>[] = [];
  private readonly dirTimes: Array<{ path: string; node: TreeNode }> = [];
  private lastProgress = 0;

  constructor(private readonly repo: Repository, private readonly options: RestoreOptions, private readonly fence: RepositoryFence | undefined) {}

  /**
   * Restores the entries of tree `treeId` into `dir` (which exists and is a real directory).
   * `includes`: remaining include paths relative to this tree; undefined = everything.
   */
  async directory(treeId: string, dir: string, rel: string, includes: string[][] | undefined): Promise<void> {
    let tree: Tree;
    try {
      tree = await loadTree(this.repo, treeId);
    } catch (error) {
      // A damaged tree costs its folder only; without the root tree there is nothing to restore.
      if (rel === '' || !isDamage(error)) throw error;
      this.damaged(`${rel}/`, error);
      return;
    }
    for (const node of tree.nodes) {
      const relPath = rel ? `${rel}/${node.name}` : node.name;
      if (!isSafeName(node.name)) throw new UnsafePathError(relPath, 'a name in the snapshot is not a single safe path component');
      let childIncludes: string[][] | undefined;
      if (includes) {
        const matching = includes.filter((parts) => parts[0] === node.name);
        if (matching.length === 0) continue;
        // An include that ends here selects everything below.
        childIncludes = matching.some((parts) => parts.length === 1) ? undefined : matching.map((parts) => parts.slice(1));
      }
      const dest = join(dir, node.name);
      if (node.type === 'dir') {
        if (!(await this.ensureDirectory(dest, relPath))) continue;
        await this.directory(node.subtree, dest, relPath, childIncludes);
        this.dirs++;
        this.dirTimes.push({ path: dest, node });
      } else if (childIncludes) {
        continue; // the include names something below a non-directory: nothing to restore
      } else if (node.type === 'file') {
        await this.fileLimiter.acquire();
        // Damaged data costs that file only: the others are still restored.
        const task = this.file(node, dir, dest, relPath)
          .catch((error: unknown) => {
            if (!isDamage(error)) throw error;
            this.damaged(relPath, error);
          })
          .finally(() => this.fileLimiter.release());
        task.catch(() => undefined);
        this.pending.push(task);
      } else {
        await this.symlink(node.target, node, dir, dest, relPath);
      }
    }
  }

  /** Records what damaged data cost (a file, or a folder as `path/`): not restored, reported, and the rest goes on. */
  private damaged(path: string, error: EngineError): void {
    this.failed.push({ path, message: error.message });
    this.options.onWarning?.(path, error.message);
  }

  async finish(): Promise<void> {
    await Promise.all(this.pending);
    // Deepest directories first, so setting a parent's mtime comes after its children changed it.
    for (const { path, node } of this.dirTimes) {
      await chmod(path, safeMode(node.mode));
      await utimes(path, node.mtimeMs / 1000, node.mtimeMs / 1000);
    }
  }

  /** Makes or enters the directory `dest`; false when it is the repository's (refused and named: nothing goes into it). */
  private async ensureDirectory(dest: string, relPath: string): Promise<boolean> {
    try {
      await mkdir(dest);
      return true; // new, so not the repository
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    const st = await lstat(dest, { bigint: true });
    if (st.isSymbolicLink()) throw new UnsafePathError(relPath, 'exists in the target as a symlink; restoring through it could write outside the target');
    if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot restore directory ${relPath}: a non-directory is in the way`);
    if (this.fence?.isRepository(st)) {
      const message = this.fence.reason(true);
      this.refused.push({ path: `${relPath}/`, message });
      this.options.onWarning?.(`${relPath}/`, message);
      return false;
    }
    return true;
  }

  private async file(node: FileNode, dir: string, dest: string, relPath: string): Promise<void> {
    const temp = join(dir, `.strata-restore-${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      const runs = this.readRuns(await fileChunks(this.repo, node), relPath);
      let written = 0;
      // Fetch the next run of blobs while writing the current one.
      const load = (i: number): Promise<LoadedRun> | undefined => {
        const run = runs[i];
        if (!run) return undefined;
        const loading = this.loadRun(run);
        loading.catch(() => undefined);
        return loading;
      };
      let next = load(0);
      for (let i = 0; i < runs.length; i++) {
        const { pieces, buffer } = await (next as Promise<LoadedRun>);
        next = load(i + 1);
        const bytes = pieces.reduce((sum, p) => sum + p.length, 0);
        await handle.writev(pieces, written);
        this.runBuffers.give(buffer); // written: nothing reads it any more (not given back on errors)
        written += bytes;
        this.progress(relPath, bytes);
      }
      if (written !== node.size) {
        throw new EngineError('DAMAGED', `restored ${relPath} has ${written} bytes, the snapshot says ${node.size}`);
      }
      await handle.chmod(safeMode(node.mode));
      await handle.close();
      await utimes(temp, node.mtimeMs / 1000, node.mtimeMs / 1000);
      await this.replace(temp, dest, relPath);
      this.files++;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }

  /**
   * Groups a file's chunks into runs that are adjacent in one pack, so each run
   * is one read (restores otherwise cost a read per 128 KiB chunk).
   */
  private readRuns(ids: Uint8Array[], relPath: string): IndexedBlob[][] {
    const runs: IndexedBlob[][] = [];
    let current: IndexedBlob[] = [];
    let bytes = 0;
    for (const id of ids) {
      const entry = this.repo.index.get(id);
      if (!entry) throw new EngineError('DAMAGED', `missing data: ${relPath} needs blob ${toHex(id)}, which is in no index`);
      const last = current[current.length - 1];
      if (last && (last.pack !== entry.pack || last.offset + last.length !== entry.offset || bytes + entry.length > RUN_BYTES)) {
        runs.push(current);
        current = [];
        bytes = 0;
      }
      current.push(entry);
      bytes += entry.length;
    }
    if (current.length > 0) runs.push(current);
    return runs;
  }

  /** Reads and opens a run: raw blobs come back decrypted in place, as views of `buffer`. */
  private async loadRun(run: IndexedBlob[]): Promise<LoadedRun> {
    const first = run[0] as IndexedBlob;
    const last = run[run.length - 1] as IndexedBlob;
    const length = last.offset + last.length - first.offset;
    const buffer = this.runBuffers.take(length);
    const bytes = await this.repo.readPack(first.pack, first.offset, length, buffer);
    const opened = await this.repo.openBlobs(run, bytes, first.offset, { verify: false, keep: true });
    const pieces = opened.map((result) => {
      if (result.error) throw result.error;
      if (!result.plain) throw new EngineError('DAMAGED', 'blob worker returned no data');
      return result.plain;
    });
    return { pieces, buffer };
  }

  private async symlink(target: string, node: TreeNode, dir: string, dest: string, relPath: string): Promise<void> {
    const temp = join(dir, `.strata-restore-${randomBytes(8).toString('hex')}`);
    await symlink(target, temp);
    try {
      await this.replace(temp, dest, relPath);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    // The link's own time; a platform without lutimes keeps the current one.
    await lutimes(dest, node.mtimeMs / 1000, node.mtimeMs / 1000).catch(() => undefined);
    this.symlinks++;
  }

  /** rename() replaces a file or symlink in place (never following it); a directory in the way is an error. */
  private async replace(temp: string, dest: string, relPath: string): Promise<void> {
    try {
      const st = await lstat(dest);
      if (st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot restore ${relPath}: a directory is in the way`);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
    }
    await rename(temp, dest);
  }

  private progress(path: string, bytes: number): void {
    this.bytes += bytes;
    if (!this.options.onProgress) return;
    const now = Date.now();
    if (now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.options.onProgress({ files: this.files, bytes: this.bytes, currentPath: path });
  }
}
