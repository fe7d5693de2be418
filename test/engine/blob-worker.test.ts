// The blob workers and the main thread run ONE implementation of content
// ids, compression and sealing: for a fixed nonce a worker's sealed blob is
// byte-identical to what crypto/aead.ts and compress/compression.ts produce
// on the main thread, each opens what the other sealed, the worker's module
// graph (as esbuild bundles it) holds no crypto or compression outside
// crypto/ and compress/, and the built worker entries (when built) give the
// same bytes. The pool asks how to start a worker only when a job needs one
// more; a worker that cannot load fails its jobs with the reason instead of
// hanging.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Compression, compressForStorage, compressionParams, decompressStored } from '../../src/engine/compress/compression';
import { innerKeyAndNonce, open, SEAL_OVERHEAD, sealInnerInto, sealInto } from '../../src/engine/crypto/aead';
import { ContentIdHasher } from '../../src/engine/crypto/content-id';
import { runJob, type Job, type Reply } from '../../src/engine/workers/blob-jobs';
import { BlobWorkerPool, blobWorkers } from '../../src/engine/workers/blob-workers';

const root = join(__dirname, '..', '..');
const key = new Uint8Array(randomBytes(32));
const idKey = new Uint8Array(randomBytes(32));
const ad = new TextEncoder().encode('blob ad');
const text = new TextEncoder().encode('Lesson 4: standing waves on a string. '.repeat(8000));
const noise = new Uint8Array(randomBytes(150_000));
const fixedNonce = (seed: number): Uint8Array => Uint8Array.from({ length: 24 }, (_, i) => (seed * 31 + i) & 0xff);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

/** What the main thread makes of `data` under `nonce`: compressForStorage() then sealInnerInto(). */
function sealOnMainThread(data: Uint8Array, nonce: Uint8Array): { sealed: Uint8Array; algo: number } {
  const { stored, compression } = compressForStorage(data, compressionParams(data));
  const sealed = new Uint8Array(stored.length + SEAL_OVERHEAD);
  sealInnerInto(sealed, 0, nonce, innerKeyAndNonce(key, nonce), stored, ad);
  return { sealed, algo: compression };
}

function sealJob(data: Uint8Array, nonce: Uint8Array): Job & { op: 'sealBatch' } {
  const out = new Uint8Array(new SharedArrayBuffer(data.length + SEAL_OVERHEAD));
  return { id: 1, op: 'sealBatch', items: [{ data, params: compressionParams(data), nonce, ad, ...innerKeyAndNonce(key, nonce) }], out };
}

describe('blob workers and the main thread', () => {
  it('seal byte-identically for a fixed nonce, raw and compressed, and open() reads what a worker sealed', async () => {
    for (const [i, data] of [text, noise, new Uint8Array(0)].entries()) {
      const nonce = fixedNonce(i);
      const mine = sealOnMainThread(data, nonce);
      const [theirs] = await blobWorkers.sealBatch([{ data, params: compressionParams(data), nonce, ad, ...innerKeyAndNonce(key, nonce) }]);
      expect(theirs?.algo).toBe(mine.algo);
      expect(hex(theirs?.bytes ?? new Uint8Array())).toBe(hex(mine.sealed));
      const plain = decompressStored(open(key, theirs?.bytes ?? new Uint8Array(), ad), theirs?.algo ?? -1, data.length);
      expect(hex(plain)).toBe(hex(data));
    }
    expect(sealOnMainThread(text, fixedNonce(0)).algo).toBe(Compression.brotli);
    expect(sealOnMainThread(noise, fixedNonce(1)).algo).toBe(Compression.none);
  });

  it('open in a worker what the main thread sealed, checking the content id the main thread computes', async () => {
    const hasher = new ContentIdHasher(idKey);
    const domain = new TextEncoder().encode('tree\0');
    const blobs = [
      { data: text, domain: null },
      { data: noise, domain },
    ];
    const region = new Uint8Array(blobs.reduce((n, b) => n + b.data.length + SEAL_OVERHEAD, 0));
    let at = 0;
    const items = blobs.map(({ data, domain: d }) => {
      const { stored, compression } = compressForStorage(data, compressionParams(data));
      const length = sealInto(key, stored, ad, region, at);
      const item = {
        start: at,
        length,
        ad,
        compression,
        rawLength: data.length,
        verify: { key: idKey, domain: d, id: hasher.idFor(d, data) },
        keep: true,
        ...innerKeyAndNonce(key, region.subarray(at, at + 24)),
      };
      at += length;
      return item;
    });
    const { opened } = await blobWorkers.openBatch(region, items);
    expect(opened.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(opened.map((r) => hex(r.bytes ?? new Uint8Array()))).toEqual(blobs.map((b) => hex(b.data)));

    // The id of the other domain is not this blob's.
    const swapped = items.map((item, i) => ({ ...item, verify: { ...item.verify, id: hasher.idFor(i === 0 ? domain : null, blobs[i]?.data ?? text) } }));
    const wrong = await blobWorkers.openBatch(region, swapped);
    expect(wrong.opened.map((r) => r.error)).toEqual(['has the wrong content id', 'has the wrong content id']);
  });

  it('compute content ids as the main thread does', async () => {
    const chunks = [text, noise, new Uint8Array(0)];
    const ids = await blobWorkers.hashBatch(idKey, chunks);
    const hasher = new ContentIdHasher(idKey);
    expect(ids.map(hex)).toEqual(chunks.map((c) => hex(hasher.id(c))));
  });

  it('run job code with no crypto or compression of its own', () => {
    const ownCode = /node:zlib|brotli\w*Sync|createCipheriv|createDecipheriv|createHmac|createSecretKey/;
    const sources = ['blob-worker.ts', 'blob-jobs.ts', 'blob-workers.ts'].map((f) => readFileSync(join(root, 'src', 'engine', 'workers', f), 'utf8'));
    for (const source of sources) {
      expect(source).not.toMatch(ownCode);
    }
    // The worker's entry is a module, not code in a string (from sources the pool runs esbuild's bundle of it).
    const pool = sources[2] ?? '';
    expect(pool).not.toMatch(/parentPort|require\(['"]node:/);

    // The worker's whole module graph, as the build bundles it: the one
    // implementation is in it, and only crypto/ and compress/ hold such code.
    const { metafile } = buildSync({ entryPoints: [join(root, 'src', 'engine', 'workers', 'blob-worker.ts')], absWorkingDir: root, bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', logLevel: 'silent' });
    const graph = Object.keys(metafile.inputs).filter((input) => input.startsWith('src/'));
    expect(graph.sort()).toEqual([
      'src/engine/compress/compression.ts',
      'src/engine/crypto/aead.ts',
      'src/engine/crypto/content-id.ts',
      'src/engine/workers/blob-jobs.ts',
      'src/engine/workers/blob-worker.ts',
    ]);
    const builtins = (input: string): string[] => (metafile.inputs[input]?.imports ?? []).filter((i) => isBuiltin(i.path)).map((i) => i.path.replace(/^node:/, ''));
    for (const input of graph) {
      const source = readFileSync(join(root, input), 'utf8');
      if (/^src\/engine\/(crypto|compress)\//.test(input)) {
        expect(source).toMatch(ownCode); // the check sees such code where it is
        continue;
      }
      expect(source).not.toMatch(ownCode);
      // Of Node's modules, the worker's own code uses worker_threads and, for the region's SHA-256, createHash alone.
      expect(builtins(input).filter((b) => b !== 'worker_threads')).toEqual(input.endsWith('blob-jobs.ts') ? ['crypto'] : []);
      expect(source.match(/^import .*'(node:)?crypto';$/gm) ?? []).toEqual(input.endsWith('blob-jobs.ts') ? ["import { createHash } from 'node:crypto';"] : []);
    }
    expect(builtins('src/engine/compress/compression.ts')).toEqual(['zlib']);
  });

  // `npm test` builds before it tests; a plain `vitest run` without a build skips these.
  for (const built of [join(root, 'dist', 'blob-worker.mjs'), join(root, 'out', 'main', 'blob-worker.mjs')]) {
    it.runIf(existsSync(built))(`built entry ${built.slice(root.length + 1)} seals the same bytes`, async () => {
      const worker = new Worker(built);
      try {
        const job = sealJob(text, fixedNonce(7));
        const reply = await new Promise<Reply>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(job);
        });
        expect(reply.error).toBeUndefined();
        const length = reply.placed?.[0]?.length ?? 0;
        const mine = sealOnMainThread(text, fixedNonce(7));
        expect(reply.placed?.[0]?.algo).toBe(mine.algo);
        expect(hex(job.out.subarray(0, length))).toBe(hex(mine.sealed));
      } finally {
        await worker.terminate();
      }
    });
  }

  it('run the same job code on the main thread (runJob) with the same result', () => {
    const job = sealJob(text, fixedNonce(3));
    const { reply } = runJob(job);
    const length = reply.placed?.[0]?.length ?? 0;
    expect(hex(job.out.subarray(0, length))).toBe(hex(sealOnMainThread(text, fixedNonce(3)).sealed));
    expect(runJob({ id: 2, op: 'nothing' } as unknown as Job).reply.error).toMatch(/unknown operation nothing/);
  });
});

describe('starting blob workers', () => {
  it('asks the host how to start one only when a job needs more workers than are running', async () => {
    // A stand-in worker answering every job with ids of zeros.
    const echo = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (j) => parentPort.postMessage({ id: j.id, bytes: new Uint8Array(32 * j.items.length), opened: (j.items ?? []).map(() => ({})) }));";
    let starts = 0;
    const pool = new BlobWorkerPool(1, 2, () => {
      starts++;
      return { filename: echo, options: { eval: true }, describe: 'echo' };
    });
    await pool.hashBatch(idKey, [text]);
    await Promise.all([pool.hashBatch(idKey, [text]), pool.hashBatch(idKey, [noise])]);
    expect(starts).toBe(1);
    await pool.openBatch(new Uint8Array(0), []);
    expect(starts).toBe(2); // readers: one more worker
    await pool.openBatch(new Uint8Array(0), []);
    await pool.hashBatch(idKey, [text]);
    expect(starts).toBe(2);
  });
});

describe('a blob worker that cannot start', () => {
  it('fails its jobs with the reason when its entry does not load', async () => {
    const pool = new BlobWorkerPool(1, 1, () => ({ filename: join(root, 'no-such-dir', 'blob-worker.mjs'), options: {}, describe: 'missing entry' }));
    await expect(pool.hashBatch(idKey, [text])).rejects.toThrow(/blob worker \(missing entry\) failed: .*Cannot find module/);
  });

  it('fails its jobs when it exits without answering', async () => {
    const pool = new BlobWorkerPool(1, 1, () => ({ filename: 'process.exit(3)', options: { eval: true }, describe: 'exits' }));
    await expect(pool.hashBatch(idKey, [text])).rejects.toThrow(/blob worker \(exits\) stopped unexpectedly \(exit code 3\)/);
  });

  it('fails at once when the host cannot start one at all', async () => {
    const pool = new BlobWorkerPool(1, 1, () => {
      throw new Error('blob workers: entry missing');
    });
    await expect(pool.hashBatch(idKey, [text])).rejects.toThrow(/entry missing/);
  });
});
