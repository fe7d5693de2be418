// Watching tracked folders (chokidar) and turning changes into versions: after
// the first event in a folder, a scan of that folder runs once it has been
// quiet for `quietMs` (so rapid saves and an editor's write-temp-then-rename
// settle into one version), and files still changing are picked up by a
// later pass. The watcher only decides *when* to scan; what becomes a version
// is decided by the same scan as `strata scan` (its caller's `scan`, ops/
// folders.ts, under the session's lock), so both give the same history.

import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { errorMessage } from '../errors';
import type { TrackedFolder } from '../versions/local-state';
import { IgnoreRules } from '../versions/ignore-rules';
import type { ScanResult } from '../versions/scanner';

export interface WatchOptions {
  /** Quiet time after the last change in a folder before it is scanned (ms). */
  quietMs: number;
  /** Scans one folder, leaving files changed less than `quietMs` ago for a later pass (and under whatever lock the caller shares with other writers). */
  scan: (folder: TrackedFolder) => Promise<ScanResult>;
  onScan?: (folder: TrackedFolder, result: ScanResult) => void;
  onError?: (error: unknown) => void;
}

export const DEFAULT_QUIET_MS = 2000;

export class FolderWatcher {
  private watcher: FSWatcher | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Scans run one at a time (they share the history and the local state). */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly rules = new Map<string, IgnoreRules>();

  /** `folders`: the tracked folders to watch (those not paused). */
  constructor(readonly folders: readonly TrackedFolder[], private readonly options: WatchOptions) {}

  /**
   * Watches the folders, then scans each once (catching up): a change made
   * while the watch was being set up is recorded by that scan, one made after
   * by the watch.
   */
  async start(): Promise<void> {
    const { folders } = this;
    for (const folder of folders) this.rules.set(folder.id, await IgnoreRules.forFolder(folder.path));
    const watcher = watch(folders.map((f) => f.path), {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      ignored: (path: string, stats?: { isDirectory(): boolean }) => this.ignored(folders, path, stats?.isDirectory() ?? false),
    });
    watcher.on('all', (_event: string, path: string) => {
      const folder = this.folderOf(folders, path);
      if (!folder) return;
      if (path.endsWith(`${sep}.strataignore`)) {
        void IgnoreRules.forFolder(folder.path).then((r) => this.rules.set(folder.id, r), () => undefined);
      }
      this.schedule(folder, this.options.quietMs);
    });
    watcher.on('error', (error: unknown) => this.options.onError?.(error));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.watcher = watcher;
    for (const folder of folders) await this.enqueue(folder);
  }

  /** Stops watching; a scan in progress finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.watcher?.close();
    await this.queue;
  }

  /** Resolves when no scan is queued or running (for tests and clean exits). */
  idle(): Promise<void> {
    return this.queue;
  }

  private schedule(folder: TrackedFolder, delay: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(folder.id);
    if (existing) clearTimeout(existing);
    this.timers.set(folder.id, setTimeout(() => {
      this.timers.delete(folder.id);
      void this.enqueue(folder);
    }, delay));
  }

  private enqueue(folder: TrackedFolder): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.stopped && this.watcher) return;
      try {
        const result = await this.options.scan(folder);
        this.options.onScan?.(folder, result);
        // Files still being written: look again once they may have settled.
        if (result.settling.length > 0) this.schedule(folder, this.options.quietMs);
      } catch (error) {
        this.options.onError?.(new Error(`scanning "${folder.name}" failed: ${errorMessage(error)}`));
      }
    });
    return this.queue;
  }

  private folderOf(folders: readonly TrackedFolder[], path: string): TrackedFolder | undefined {
    return folders.find((f) => path === f.path || path.startsWith(f.path + sep));
  }

  private ignored(folders: readonly TrackedFolder[], path: string, isDir: boolean): boolean {
    const folder = this.folderOf(folders, path);
    if (!folder || path === folder.path) return false;
    const rel = relative(folder.path, path).split(sep).join('/');
    return this.rules.get(folder.id)?.ignores(rel, isDir) ?? false;
  }
}
