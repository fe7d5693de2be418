// Brotli off the main thread: a small pool of worker threads running zlib's
// synchronous brotli. Node's async zlib API costs ~0.6 ms of main-thread time
// per call (a stream per buffer), which at thousands of chunks per GiB is
// more than the compression itself; workers also use the second core.
//
// Buffers go to workers by copy (structured clone) and come back by transfer
// from the worker, so no ArrayBuffer in the main isolate is ever detached.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

// Plain JS, evaluated in the worker (no bundling or file path needed).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
parentPort.on('message', (job) => {
  try {
    const out = job.op === 'compress'
      ? zlib.brotliCompressSync(job.data, { params: job.params })
      : zlib.brotliDecompressSync(job.data, { maxOutputLength: job.maxOutputLength });
    const owned = out.byteOffset === 0 && out.buffer.byteLength === out.length;
    const bytes = owned ? new Uint8Array(out.buffer, 0, out.length) : new Uint8Array(out);
    parentPort.postMessage({ id: job.id, bytes }, [bytes.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String(error && error.message || error) });
  }
});
`;

interface Job {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface Reply {
  id: number;
  bytes?: Uint8Array;
  error?: string;
}

class BrotliPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly jobs = new Map<number, Job & { worker: number }>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly size: number) {}

  run(op: 'compress' | 'decompress', data: Uint8Array, options: { params?: Record<number, number>; maxOutputLength?: number }): Promise<Uint8Array> {
    this.ensureWorkers();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Jobs in flight keep the process alive; an idle pool never does.
    if (this.jobs.size === 0) for (const w of this.workers) w.ref();
    let worker = 0;
    for (let i = 1; i < this.workers.length; i++) if ((this.load[i] ?? 0) < (this.load[worker] ?? 0)) worker = i;
    const id = this.nextId++;
    this.load[worker] = (this.load[worker] ?? 0) + 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, worker });
      // Cloning a view clones its whole ArrayBuffer (a chunk's is a 4 MiB read
      // block): send an exact-size copy instead.
      const exact = data.byteOffset === 0 && data.buffer.byteLength === data.length ? data : data.slice();
      this.workers[worker]?.postMessage({ id, op, data: exact, ...options });
    });
  }

  private ensureWorkers(): void {
    if (this.workers.length > 0) return;
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref(); // never keep the process alive on its own
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(error));
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  private settle(reply: Reply): void {
    const job = this.jobs.get(reply.id);
    if (!job) return;
    this.jobs.delete(reply.id);
    this.load[job.worker] = (this.load[job.worker] ?? 1) - 1;
    if (reply.bytes) job.resolve(reply.bytes);
    else job.reject(new Error(reply.error ?? 'brotli worker failed'));
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

/** One pool per process, sized to the machine (at least 1, at most 4 workers). */
export const brotliPool = new BrotliPool(Math.max(1, Math.min(4, availableParallelism())));
