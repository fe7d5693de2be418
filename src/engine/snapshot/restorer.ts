// Restore: rebuilds a snapshot's tree (or part of it) under a target
// directory. Every name is checked before use and existing directories are
// entered only if they are real directories (never symlinks), so a hostile
// snapshot cannot write outside the target. Files are written to a temporary
// name and renamed into place, so a reader never sees a half-written file;
// mode and mtime are restored, directories' mtimes last.

import { randomBytes } from 'node:crypto';
import { chmod, lstat, lutimes, mkdir, open, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Limiter } from '../async/limiter';
import { EngineError, UnsafePathError } from '../errors';
import type { IndexedBlob } from '../repo/chunk-index';
import { objectNames, toHex } from '../repo/format';
import type { Repository } from '../repo/repository';
import { SharedBufferPool } from '../memory/shared-buffers';
import { fileChunks, loadTree } from './snapshots';
import { isSafeName, type FileNode, type Snapshot, type TreeNode } from './tree';

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
  /** Files whose data is damaged or missing: not restored (nothing half-written is left), the rest is. */
  failed: Array<{ path: string; message: string }>;
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
  const run = new RestoreRun(repo, options);
  await run.directory(snapshot.tree, target, '', includes.length > 0 ? includes : undefined);
  await run.finish();
  return { files: run.files, dirs: run.dirs, symlinks: run.symlinks, bytes: run.bytes, failed: run.failed };
}

/** Largest single read of adjacent blobs. */
const RUN_BYTES = 8 * 1024 * 1024;
/** Files restored at once. */
const FILES_AT_ONCE = 6;

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
  private readonly fileLimiter = new Limiter(FILES_AT_ONCE);
  /** Memory for runs being read and written: each file has one being written and one being read. */
  private readonly runBuffers = new SharedBufferPool(RUN_BYTES, 2 * FILES_AT_ONCE);
  private readonly pending: Promise<void>[] = [];
  private readonly dirTimes: Array<{ path: string; node: TreeNode }> = [];
  private lastProgress = 0;

  constructor(private readonly repo: Repository, private readonly options: RestoreOptions) {}

  /**
   * Restores the entries of tree `treeId` into `dir` (which exists and is a real directory).
   * `includes`: remaining include paths relative to this tree; undefined = everything.
   */
  async directory(treeId: string, dir: string, rel: string, includes: string[][] | undefined): Promise<void> {
    const tree = await loadTree(this.repo, treeId);
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
        await this.ensureDirectory(dest, relPath);
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
            if (!(error instanceof EngineError && error.code === 'DAMAGED')) throw error;
            this.failed.push({ path: relPath, message: error.message });
            this.options.onWarning?.(relPath, error.message);
          })
          .finally(() => this.fileLimiter.release());
        task.catch(() => undefined);
        this.pending.push(task);
      } else {
        await this.symlink(node.target, node, dir, dest, relPath);
      }
    }
  }

  async finish(): Promise<void> {
    await Promise.all(this.pending);
    // Deepest directories first, so setting a parent's mtime comes after its children changed it.
    for (const { path, node } of this.dirTimes) {
      await chmod(path, safeMode(node.mode));
      await utimes(path, node.mtimeMs / 1000, node.mtimeMs / 1000);
    }
  }

  private async ensureDirectory(dest: string, relPath: string): Promise<void> {
    try {
      await mkdir(dest);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    const st = await lstat(dest);
    if (st.isSymbolicLink()) throw new UnsafePathError(relPath, 'exists in the target as a symlink; restoring through it could write outside the target');
    if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot restore directory ${relPath}: a non-directory is in the way`);
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
    const bytes = await this.repo.backend.getRange(objectNames.pack(first.pack), first.offset, length, buffer);
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
