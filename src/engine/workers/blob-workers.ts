// The blob pipeline's heavy lifting off the main thread: a small pool of
// worker threads that compress (zlib's synchronous brotli) and encrypt (the
// bulk ChaCha20-Poly1305 step of XChaCha20-Poly1305; the HChaCha20 subkey is
// derived on the main thread by crypto/aead.ts, so the construction lives in
// one place). Node's async zlib API costs ~0.4-0.6 ms of main-thread time per
// call; workers also put the second core to work.
//
// Inputs reach workers without a copy when they view a SharedArrayBuffer (the
// archiver reads files into shared blocks), else as an exact-size copy.
// Results come back by transfer from the worker, so no ArrayBuffer in the
// main isolate is ever detached (V8 slows byte loops once one is).

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

// Plain JS, evaluated in the worker (no bundling or file path needed).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const owned = (out) => out.byteOffset === 0 && out.buffer.byteLength === out.length ? new Uint8Array(out.buffer, 0, out.length) : new Uint8Array(out);
function seal(job) {
  let plain = job.data;
  let algo = 0;
  if (job.params) {
    const packed = zlib.brotliCompressSync(job.data, { params: job.params });
    if (packed.length <= job.data.length * job.maxKeptRatio) { plain = packed; algo = 1; }
  }
  const cipher = crypto.createCipheriv('chacha20-poly1305', job.subkey, job.innerNonce, { authTagLength: 16 });
  cipher.setAAD(job.ad, { plaintextLength: plain.length });
  const out = new Uint8Array(plain.length + 16);
  let written = 0;
  for (let at = 0; at < plain.length; at += 65536) {
    const piece = cipher.update(plain.subarray(at, at + 65536));
    out.set(piece, written);
    written += piece.length;
  }
  cipher.final();
  out.set(cipher.getAuthTag(), plain.length);
  return { bytes: out, algo };
}
parentPort.on('message', (job) => {
  try {
    if (job.op === 'seal') {
      const result = seal(job);
      parentPort.postMessage({ id: job.id, bytes: result.bytes, algo: result.algo }, [result.bytes.buffer]);
      return;
    }
    const out = job.op === 'compress'
      ? zlib.brotliCompressSync(job.data, { params: job.params })
      : zlib.brotliDecompressSync(job.data, { maxOutputLength: job.maxOutputLength });
    const bytes = owned(out);
    parentPort.postMessage({ id: job.id, bytes }, [bytes.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String(error && error.message || error) });
  }
});
`;

interface Job {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

interface Reply {
  id: number;
  bytes?: Uint8Array;
  algo?: number;
  error?: string;
}

export interface SealJob {
  /** Brotli parameters, or null to store the data raw. */
  params: Record<number, number> | null;
  /** Keep the compressed form only if at most this share of the input. */
  maxKeptRatio: number;
  subkey: Uint8Array;
  innerNonce: Uint8Array;
  ad: Uint8Array;
}

class BlobWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly jobs = new Map<number, Job & { worker: number }>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly size: number) {}

  async run(op: 'compress' | 'decompress', data: Uint8Array, options: { params?: Record<number, number>; maxOutputLength?: number }): Promise<Uint8Array> {
    const reply = await this.post(op, data, options);
    if (!reply.bytes) throw new Error('blob worker returned no data');
    return reply.bytes;
  }

  /** Compresses (if params) and encrypts in a worker: returns ciphertext || tag and the compression used. */
  async seal(data: Uint8Array, job: SealJob): Promise<{ bytes: Uint8Array; algo: number }> {
    const reply = await this.post('seal', data, job);
    if (!reply.bytes || reply.algo === undefined) throw new Error('blob worker returned no data');
    return { bytes: reply.bytes, algo: reply.algo };
  }

  private post(op: 'compress' | 'decompress' | 'seal', data: Uint8Array, options: object): Promise<Reply> {
    this.ensureWorkers();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Jobs in flight keep the process alive; an idle pool never does.
    if (this.jobs.size === 0) for (const w of this.workers) w.ref();
    let worker = 0;
    for (let i = 1; i < this.workers.length; i++) if ((this.load[i] ?? 0) < (this.load[worker] ?? 0)) worker = i;
    const id = this.nextId++;
    this.load[worker] = (this.load[worker] ?? 0) + 1;
    return new Promise<Reply>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, worker });
      // Cloning a view clones its whole ArrayBuffer (a chunk's is a 4 MiB read
      // block): send an exact-size copy instead, unless the memory is shared.
      const shared = data.buffer instanceof SharedArrayBuffer;
      const exact = shared || (data.byteOffset === 0 && data.buffer.byteLength === data.length) ? data : data.slice();
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

/** One pool per process, sized to the machine (at least 1, at most 4 workers). */
export const blobWorkers = new BlobWorkerPool(Math.max(1, Math.min(4, availableParallelism())));
