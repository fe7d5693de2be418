// The blob pipeline's heavy lifting off the main thread: a small pool of
// worker threads that compute content ids, compress (zlib's synchronous
// brotli) and encrypt, straight into pack buffers (the
// bulk ChaCha20-Poly1305 step of XChaCha20-Poly1305; the HChaCha20 subkey is
// derived on the main thread by crypto/aead.ts). Node's async zlib API costs
// ~0.4-0.6 ms of main-thread time per call; workers also put the second core
// to work. What a worker does is blob-jobs.ts, on the same crypto and
// compression functions as the main thread.
//
// Where the worker's entry (blob-worker.ts) comes from, per host:
// - the CLI (dist/strata.mjs, bundled by scripts/build-cli.mjs) and the
//   Electron main process (out/main/, built by electron-vite): both builds
//   emit it as blob-worker.mjs in the directory of the code that holds this
//   pool, found from import.meta.url;
// - from sources (vitest, `node --import tsx`; this module's URL ends in .ts):
//   esbuild bundles blob-worker.ts from the sources once per process, in
//   memory, and workers run that bundle. So tests always run the current
//   sources, and a worker starts as fast as from a built file (a worker
//   loading .ts through tsx needs its own loader thread: ~0.3 s a start, and
//   the pool restarts workers after each idle second).
// A worker that cannot be started or loaded fails the jobs sent to it with
// the reason; none waits forever.
//
// Inputs reach workers without a copy when they view a SharedArrayBuffer (the
// archiver reads files into shared blocks), else as an exact-size copy.
// Sealed blobs are written into the caller's shared pack buffer; plaintexts
// that come back (restore) are transferred from the worker, so no ArrayBuffer
// in the main isolate is ever detached (V8 slows byte loops once one is).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { SEAL_OVERHEAD } from '../crypto/aead';
import { CONTENT_ID_LENGTH } from '../crypto/content-id';
import type { Job, OpenItem, Opened, Reply, SealJob } from './blob-jobs';

export type { OpenItem } from './blob-jobs';

/** The built worker entry, next to the bundle holding this module (see the build scripts). */
const BUILT_ENTRY = './blob-worker.mjs';
const SOURCE_ENTRY = './blob-worker.ts';

/** How to start a blob worker: Worker's two arguments, and what to call it in errors. */
export interface WorkerStart {
  filename: string | URL;
  options: WorkerOptions;
  describe: string;
}

let bundledFromSources: string | undefined;

/**
 * From sources: the worker's entry and what it imports, bundled by esbuild
 * (a devDependency, like tsx and vitest) into one self-contained CommonJS
 * script, the form a worker runs with `eval: true`.
 */
function bundleFromSources(entry: string): string {
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
    const code = result.outputFiles[0]?.text;
    if (code === undefined) throw new Error('esbuild returned no output');
    return code;
  } catch (error) {
    throw new Error(`blob workers: cannot bundle ${entry} (running from sources needs the devDependencies: npm install): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** How to start a blob worker in this host; throws, saying what is missing, when it cannot be. */
function workerStart(): WorkerStart {
  const here = import.meta.url;
  // A small young generation makes the worker collect the wrappers of the
  // shared read blocks it was sent soon, so their memory is released.
  const common: WorkerOptions = { resourceLimits: { maxYoungGenerationSizeMb: 2 } };
  if (here.endsWith('.ts')) {
    const entry = fileURLToPath(new URL(SOURCE_ENTRY, here));
    bundledFromSources ??= bundleFromSources(entry);
    return { filename: bundledFromSources, options: { ...common, eval: true }, describe: entry };
  }
  const entry = new URL(BUILT_ENTRY, here);
  const path = fileURLToPath(entry);
  if (!existsSync(path)) {
    throw new Error(`blob workers: ${path} is missing; it is built with the code that starts it (npm run build:cli for the CLI, npm run build for the app)`);
  }
  return { filename: entry, options: common, describe: path };
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  worker: number;
}

/**
 * What to post for `data`: cloning a view clones its whole ArrayBuffer (a
 * chunk's is a 4 MiB read block), so views of private memory are copied to
 * an exact-size buffer first; shared memory is passed as is (no copy at all).
 */
function forPosting(data: Uint8Array): Uint8Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  if (data.length < 64 * 1024) return data.byteOffset === 0 && data.buffer.byteLength === data.length ? data : data.slice();
  // Structured clone of a large buffer runs at a few hundred MB/s (it is
  // serialised); one copy into shared memory is an order of magnitude faster.
  const shared = new Uint8Array(new SharedArrayBuffer(data.length));
  shared.set(data);
  return shared;
}

/** Room sealBatch() needs to write the results for inputs of these lengths. */
export function sealBatchBytes(lengths: number[]): number {
  // Compressed output is kept only when smaller than its input.
  return lengths.reduce((sum, n) => sum + n + SEAL_OVERHEAD, 0);
}

export class BlobWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly jobs = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  /**
   * `writers`: workers that hash, compress and seal (backup, where the main
   * thread is busy too); `readers`: workers that open blobs (restore, check,
   * where the main thread mostly waits). `start`: how to start a worker
   * (tests give others).
   */
  constructor(
    readonly writers: number,
    readonly readers: number,
    private readonly start: () => WorkerStart = workerStart,
  ) {}

  /** Content ids of data blobs (HMAC-SHA256 under `key`), computed in a worker. */
  async hashBatch(key: Uint8Array, items: Uint8Array[]): Promise<Uint8Array[]> {
    const reply = await this.post({ op: 'hashBatch', key, items: items.map(forPosting) });
    if (!reply.bytes || reply.bytes.length !== CONTENT_ID_LENGTH * items.length) throw new Error('blob worker returned no ids');
    const ids = reply.bytes;
    return items.map((_, i) => ids.subarray(CONTENT_ID_LENGTH * i, CONTENT_ID_LENGTH * (i + 1)));
  }

  /**
   * Seals several blobs in one message, each as nonce || ciphertext || tag,
   * written one after another into `out` (shared memory of at least
   * sealBatchBytes(); a fresh buffer when omitted). Returns views of `out`.
   */
  async sealBatch(items: Array<SealJob & { data: Uint8Array }>, out?: Uint8Array): Promise<Array<{ bytes: Uint8Array; algo: number }>> {
    const need = sealBatchBytes(items.map((i) => i.data.length));
    const target = out ?? new Uint8Array(new SharedArrayBuffer(Math.max(1, need)));
    if (!(target.buffer instanceof SharedArrayBuffer) || target.length < need) {
      throw new RangeError('sealBatch output must be shared memory of sealBatchBytes() bytes');
    }
    const reply = await this.post({ op: 'sealBatch', items: items.map((item) => ({ ...item, data: forPosting(item.data) })), out: target });
    if (reply.placed?.length !== items.length) throw new Error('blob worker returned no data');
    let at = 0;
    return reply.placed.map((p) => {
      const bytes = target.subarray(at, at + p.length);
      at += p.length;
      return { bytes, algo: p.algo };
    });
  }

  /**
   * Opens several blobs of one region of a pack in a worker: plaintexts (if
   * kept) or per-blob errors, and with `sha256` the SHA-256 of the whole region.
   */
  async openBatch(data: Uint8Array, items: OpenItem[], sha256 = false): Promise<{ opened: Opened[]; sha256?: Uint8Array }> {
    const posted = forPosting(data);
    // In-place results are only visible to the caller when it shares the memory.
    const shared = posted === data && data.buffer instanceof SharedArrayBuffer;
    const reply = await this.post({ op: 'openBatch', data: posted, items: items.map((item) => ({ ...item, inPlace: (item.inPlace ?? false) && shared })), sha256 });
    if (!reply.opened || reply.opened.length !== items.length) throw new Error('blob worker returned no results');
    return reply.sha256 ? { opened: reply.opened, sha256: reply.sha256 } : { opened: reply.opened };
  }

  private post(job: DistributiveOmit<Job, 'id'>): Promise<Reply> {
    const limit = job.op === 'openBatch' ? this.readers : this.writers;
    return new Promise<Reply>((resolve, reject) => {
      this.ensureWorkers(limit); // throws (rejects) when no worker can be started here
      if (this.idleTimer) clearTimeout(this.idleTimer);
      // Jobs in flight keep the process alive; an idle pool never does.
      if (this.jobs.size === 0) for (const w of this.workers) w.ref();
      let worker = 0;
      for (let i = 1; i < limit; i++) if ((this.load[i] ?? 0) < (this.load[worker] ?? 0)) worker = i;
      const id = this.nextId++;
      this.load[worker] = (this.load[worker] ?? 0) + 1;
      this.jobs.set(id, { resolve, reject, worker });
      this.workers[worker]?.postMessage({ id, ...job } satisfies Job);
    });
  }

  private ensureWorkers(count: number): void {
    if (this.workers.length >= count) return;
    const start = this.start();
    for (let i = this.workers.length; i < count; i++) {
      const worker = new Worker(start.filename, start.options);
      worker.unref(); // never keep the process alive on its own
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(new Error(`blob worker (${start.describe}) failed: ${error.message}`, { cause: error })));
      worker.on('messageerror', (error) => this.failAll(new Error(`blob worker (${start.describe}) sent an unreadable message: ${error.message}`, { cause: error })));
      // After 'error' the worker is already out of the pool; otherwise an exit nobody asked for fails what it had.
      worker.on('exit', (code) => {
        if (this.workers.includes(worker)) this.failAll(new Error(`blob worker (${start.describe}) stopped unexpectedly (exit code ${code})`));
      });
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  private settle(reply: Reply): void {
    const job = this.jobs.get(reply.id);
    if (!job) return;
    this.jobs.delete(reply.id);
    this.load[job.worker] = (this.load[job.worker] ?? 1) - 1;
    if (reply.error === undefined) job.resolve(reply);
    else job.reject(new Error(reply.error));
    if (this.jobs.size === 0) {
      for (const w of this.workers) w.unref();
      this.scheduleIdleStop();
    }
  }

  private failAll(error: Error): void {
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    void this.stop();
  }

  /** Workers are stopped after a quiet second, and restarted on demand. */
  private scheduleIdleStop(): void {
    this.idleTimer = setTimeout(() => void this.stop(), 1000);
    this.idleTimer.unref();
  }

  private async stop(): Promise<void> {
    const workers = this.workers.splice(0);
    this.load.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Omit<> applied to each member of a union (Omit<> of a union would merge them). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * One pool per process. Writing uses a worker per core beside the main thread
 * (which reads and chunks), at least 1, at most 4: on 2 cores one measured
 * faster than two (which only fought the main thread for the cores). Opening
 * blobs uses a worker per core, at most 4: `check --read-data` on 2 cores
 * measured 2.2 s with two against 3.1 s with one.
 */
const cores = availableParallelism();
export const blobWorkers = new BlobWorkerPool(Math.max(1, Math.min(4, cores - 1)), Math.max(1, Math.min(4, cores)));
