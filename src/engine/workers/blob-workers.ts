// The blob pipeline's heavy lifting off the main thread: a small pool of
// worker threads that compute content ids, compress (zlib's synchronous
// brotli) and encrypt, straight into pack buffers (the
// bulk ChaCha20-Poly1305 step of XChaCha20-Poly1305; the HChaCha20 subkey is
// derived on the main thread by crypto/aead.ts, so the construction lives in
// one place). Node's async zlib API costs ~0.4-0.6 ms of main-thread time per
// call; workers also put the second core to work.
//
// Inputs reach workers without a copy when they view a SharedArrayBuffer (the
// archiver reads files into shared blocks), else as an exact-size copy.
// Sealed blobs are written into the caller's shared pack buffer; plaintexts
// that come back (restore) are transferred from the worker, so no ArrayBuffer
// in the main isolate is ever detached (V8 slows byte loops once one is).

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

// Plain JS, evaluated in the worker (no bundling or file path needed).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const owned = (out) => out.byteOffset === 0 && out.buffer.byteLength === out.length ? new Uint8Array(out.buffer, 0, out.length) : new Uint8Array(out);
// Seals job.data into out at \`at\` as nonce || ciphertext || tag; returns the
// sealed length and whether the data went in compressed.
function seal(job, out, at) {
  let plain = job.data;
  let algo = 0;
  if (job.params) {
    const packed = zlib.brotliCompressSync(job.data, { params: job.params });
    if (packed.length <= job.data.length * job.maxKeptRatio) { plain = packed; algo = 1; }
  }
  const length = 24 + plain.length + 16;
  if (job.nonce.length !== 24 || at + length > out.length) throw new Error('output buffer too small');
  const cipher = crypto.createCipheriv('chacha20-poly1305', job.subkey, job.innerNonce, { authTagLength: 16 });
  cipher.setAAD(job.ad, { plaintextLength: plain.length });
  out.set(job.nonce, at);
  let written = at + 24;
  for (let i = 0; i < plain.length; i += 65536) {
    const piece = cipher.update(plain.subarray(i, i + 65536));
    out.set(piece, written);
    written += piece.length;
  }
  cipher.final();
  out.set(cipher.getAuthTag(), written);
  return { length, algo };
}
// Opens one sealed blob of job.data (decrypt, decompress, optionally check its
// content id); throws with a short reason on any failure. Raw blobs in shared
// memory are decrypted in place (over their ciphertext) when item.inPlace:
// the caller then reads them there, saving an allocation and a transfer.
function openOne(data, item) {
  const sealed = data.subarray(item.start, item.start + item.length);
  if (sealed.length < 40) throw new Error('sealed blob too short');
  const decipher = crypto.createDecipheriv('chacha20-poly1305', item.subkey, item.innerNonce, { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  decipher.setAAD(item.ad, { plaintextLength: sealed.length - 40 });
  const ciphertext = sealed.subarray(24, sealed.length - 16);
  const inPlace = item.inPlace && item.compression === 0;
  let plain;
  if (inPlace) {
    // Each 64 KiB slice is consumed before its plaintext is written over it.
    for (let at = 0; at < ciphertext.length; at += 65536) {
      ciphertext.set(decipher.update(ciphertext.subarray(at, at + 65536)), at);
    }
    plain = ciphertext;
  } else {
    plain = decipher.update(ciphertext);
  }
  // Unauthenticated plaintext is wiped, never used.
  try { decipher.final(); } catch { plain.fill(0); throw new Error('fails authentication'); }
  let out = plain;
  if (item.compression === 1) {
    try { out = zlib.brotliDecompressSync(plain, { maxOutputLength: Math.max(1, item.rawLength) }); }
    catch { throw new Error('does not decompress'); }
  } else if (item.compression !== 0) throw new Error('unknown compression ' + item.compression);
  if (out.length !== item.rawLength) throw new Error('has ' + out.length + ' bytes, expected ' + item.rawLength);
  if (item.verify) {
    const h = crypto.createHmac('sha256', item.verify.key);
    if (item.verify.domain) h.update(item.verify.domain);
    if (!h.update(out).digest().equals(Buffer.from(item.verify.id))) throw new Error('has the wrong content id');
  }
  return inPlace ? null : out;
}
parentPort.on('message', (job) => {
  try {
    if (job.op === 'openBatch') {
      const results = job.items.map((item) => {
        try {
          const out = openOne(job.data, item);
          if (out === null) return { inPlace: true };
          return item.keep ? { bytes: owned(out) } : {};
        } catch (error) {
          return { error: String(error && error.message || error) };
        }
      });
      const sha256 = job.sha256 ? owned(crypto.createHash('sha256').update(job.data).digest()) : undefined;
      parentPort.postMessage({ id: job.id, opened: results, sha256 }, results.filter((r) => r.bytes).map((r) => r.bytes.buffer));
      return;
    }
    if (job.op === 'hashBatch') {
      const ids = new Uint8Array(32 * job.items.length);
      job.items.forEach((data, i) => ids.set(crypto.createHmac('sha256', job.key).update(data).digest(), 32 * i));
      parentPort.postMessage({ id: job.id, bytes: ids }, [ids.buffer]);
      return;
    }
    if (job.op === 'sealBatch') {
      // Into the caller's shared buffer, one after another: nothing to allocate, transfer or copy back.
      let at = 0;
      const placed = job.items.map((item) => {
        const r = seal(item, job.out, at);
        at += r.length;
        return r;
      });
      parentPort.postMessage({ id: job.id, placed });
      return;
    }
    throw new Error('unknown operation ' + job.op);
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
  placed?: Array<{ length: number; algo: number }>;
  opened?: Array<{ bytes?: Uint8Array; inPlace?: boolean; error?: string }>;
  sha256?: Uint8Array;
  error?: string;
}

export interface OpenItem {
  /** Offset and sealed length of the blob inside the data sent. */
  start: number;
  length: number;
  subkey: Uint8Array;
  innerNonce: Uint8Array;
  ad: Uint8Array;
  compression: number;
  rawLength: number;
  /** Recompute the content id (HMAC under key, over domain || plaintext) and compare. */
  verify?: { key: Uint8Array; domain: Uint8Array | null; id: Uint8Array };
  /** Return the plaintext (restore) or only the verdict (check). */
  keep: boolean;
  /** Raw blobs: write the plaintext over the ciphertext in `data` (shared memory only). */
  inPlace?: boolean;
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
  return lengths.reduce((sum, n) => sum + 24 + n + 16, 0);
}

export interface SealJob {
  /** The blob's random 24-byte XChaCha20 nonce, written before the ciphertext. */
  nonce: Uint8Array;
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

  /**
   * `writers`: workers that hash, compress and seal (backup, where the main
   * thread is busy too); `readers`: workers that open blobs (restore, check,
   * where the main thread mostly waits).
   */
  constructor(readonly writers: number, readonly readers: number) {}

  /** Content ids of data blobs (HMAC-SHA256 under `key`), computed in a worker. */
  async hashBatch(key: Uint8Array, items: Uint8Array[]): Promise<Uint8Array[]> {
    const reply = await this.post('hashBatch', { key, items: items.map(forPosting) });
    if (!reply.bytes || reply.bytes.length !== 32 * items.length) throw new Error('blob worker returned no ids');
    const ids = reply.bytes;
    return items.map((_, i) => ids.subarray(32 * i, 32 * i + 32));
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
    const reply = await this.post('sealBatch', { items: items.map((item) => ({ ...item, data: forPosting(item.data) })), out: target });
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
  async openBatch(data: Uint8Array, items: OpenItem[], sha256 = false): Promise<{ opened: Array<{ bytes?: Uint8Array; inPlace?: boolean; error?: string }>; sha256?: Uint8Array }> {
    const posted = forPosting(data);
    // In-place results are only visible to the caller when it shares the memory.
    const shared = posted === data && data.buffer instanceof SharedArrayBuffer;
    const reply = await this.post('openBatch', { data: posted, items: items.map((item) => ({ ...item, inPlace: (item.inPlace ?? false) && shared })), sha256 });
    if (!reply.opened || reply.opened.length !== items.length) throw new Error('blob worker returned no results');
    return reply.sha256 ? { opened: reply.opened, sha256: reply.sha256 } : { opened: reply.opened };
  }

  private post(op: 'hashBatch' | 'sealBatch' | 'openBatch', payload: object): Promise<Reply> {
    const limit = op === 'openBatch' ? this.readers : this.writers;
    this.ensureWorkers(limit);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Jobs in flight keep the process alive; an idle pool never does.
    if (this.jobs.size === 0) for (const w of this.workers) w.ref();
    let worker = 0;
    for (let i = 1; i < limit; i++) if ((this.load[i] ?? 0) < (this.load[worker] ?? 0)) worker = i;
    const id = this.nextId++;
    this.load[worker] = (this.load[worker] ?? 0) + 1;
    return new Promise<Reply>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, worker });
      this.workers[worker]?.postMessage({ id, op, ...payload });
    });
  }

  private ensureWorkers(count: number): void {
    for (let i = this.workers.length; i < count; i++) {
      // A small young generation makes the worker collect the wrappers of the
      // shared read blocks it was sent soon, so their memory is released.
      const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
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

/**
 * One pool per process. Writing uses a worker per core beside the main thread
 * (which reads and chunks), at least 1, at most 4: on 2 cores one measured
 * faster than two (which only fought the main thread for the cores). Opening
 * blobs uses a worker per core, at most 4: `check --read-data` on 2 cores
 * measured 2.2 s with two against 3.1 s with one.
 */
const cores = availableParallelism();
export const blobWorkers = new BlobWorkerPool(Math.max(1, Math.min(4, cores - 1)), Math.max(1, Math.min(4, cores)));
