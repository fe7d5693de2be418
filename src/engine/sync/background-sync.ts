// Background sync: after local changes, sync with a remote once things have
// been quiet for a moment; one sync at a time; when the remote cannot be
// reached, try again later with growing delays (capped), reporting each
// failure once. Used by `strata watch --sync` and, later, the app.

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
  /** Options of each sync (progress, what not to download). */
  sync?: SyncOptions;
  /** Work to do after each successful sync (tier migration): its failure is reported like a sync's. */
  afterSync?: () => Promise<void>;
}

export class BackgroundSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private stopped = false;

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
          this.request();
        }
      });
    }, delayMs);
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
  }

  private async run(): Promise<void> {
    try {
      const result = await syncRepositories(this.local, this.remote, this.options.sync);
      await this.options.afterSync?.();
      this.failures = 0;
      this.options.onSynced?.(result);
    } catch (error) {
      this.failures++;
      const base = this.options.retryMs ?? 5_000;
      const retry = Math.min(this.options.maxRetryMs ?? 300_000, base * 2 ** (this.failures - 1));
      this.options.onError?.(errorMessage(error), retry);
      if (!this.stopped) this.request(retry);
    }
  }
}
