// Background sync: after local changes, sync with a remote once things have
// been quiet for a moment; one sync at a time; when the remote cannot be
// reached, try again later with growing delays (capped), reporting each
// failure once. A sync stopped by its signal (cancelled) is not retried: the
// next request syncs. Used by `strata watch --sync` and the app (which also
// asks for a sync now and waits for its outcome).

import { errorMessage } from '../errors';
import type { Backend } from '../storage/backend';
import { syncRepositories, type SyncOptions, type SyncResult } from './replicate';

export interface BackgroundSyncOptions {
  /** Wait this long after the last request before syncing (ms). */
  delayMs?: number;
  /** First and largest retry delay after a failure (ms). */
  retryMs?: number;
  maxRetryMs?: number;
  onSynced?: (result: SyncResult) => void;
  onError?: (message: string, retryInMs: number) => void;
  /** A sync stopped by its signal (not retried). */
  onCancelled?: () => void;
  /** Options of each sync (progress, what not to download); a function gives each sync its own (a signal to cancel it). */
  sync?: SyncOptions | (() => SyncOptions);
  /** Work to do after each successful sync (tier migration), given that sync's options (its signal stops the work too): its failure is reported like a sync's. */
  afterSync?: (sync: SyncOptions | undefined) => Promise<void>;
}

/** How now() rejects when the sync it waited for was stopped by its signal: `error` is what the sync threw (as a rule, the signal's reason). */
export class SyncCancelled extends Error {
  constructor(readonly error: unknown) {
    super('the sync was cancelled');
    this.name = 'SyncCancelled';
  }
}

/** The wait before attempt `failures + 1` after `failures` failures in a row: doubling from `retryMs` (5 s) up to `maxRetryMs` (5 min). */
export function retryDelay(failures: number, options: Pick<BackgroundSyncOptions, 'retryMs' | 'maxRetryMs'> = {}): number {
  return Math.min(options.maxRetryMs ?? 300_000, (options.retryMs ?? 5_000) * 2 ** (failures - 1));
}

export class BackgroundSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private stopped = false;
  /** Callers of now(), waiting for the next sync to start (each run takes those waiting when it starts). */
  private waiting: Array<{ resolve: (result: SyncResult) => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly local: Backend, private readonly remote: Backend, private readonly options: BackgroundSyncOptions = {}) {}

  /** Asks for a sync soon (requests close together become one sync). */
  request(delayMs = this.options.delayMs ?? 1000): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.request(this.waiting.length > 0 ? 0 : undefined);
        }
      });
    }, delayMs);
  }

  /**
   * Syncs now, or right after the sync running, and resolves with that
   * sync's result; its failure rejects (and is retried later as usual), and
   * so does its cancelling, with a SyncCancelled.
   */
  now(): Promise<SyncResult> {
    if (this.stopped) return Promise.reject(new Error('background sync stopped'));
    const outcome = new Promise<SyncResult>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.request(0);
    return outcome;
  }

  /** Resolves when no sync is running or waiting. */
  async idle(): Promise<void> {
    while (this.running || this.timer) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const w of this.waiting.splice(0)) w.reject(new Error('background sync stopped'));
  }

  private async run(): Promise<void> {
    const waiting = this.waiting.splice(0);
    const sync = typeof this.options.sync === 'function' ? this.options.sync() : this.options.sync;
    try {
      const result = await syncRepositories(this.local, this.remote, sync);
      await this.options.afterSync?.(sync);
      this.failures = 0;
      this.options.onSynced?.(result);
      for (const w of waiting) w.resolve(result);
    } catch (error) {
      if (sync?.signal?.aborted) {
        this.options.onCancelled?.();
        for (const w of waiting) w.reject(new SyncCancelled(error));
        return; // cancelled: not a failure to retry
      }
      this.failures++;
      const retry = retryDelay(this.failures, this.options);
      this.options.onError?.(errorMessage(error), retry);
      for (const w of waiting) w.reject(error);
      if (!this.stopped) this.request(retry);
    }
  }
}
