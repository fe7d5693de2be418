// The blob workers must compute exactly what the main-thread code computes:
// the same content ids, AEAD output that open() accepts, and rejections of
// tampered blobs.
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { innerKeyAndNonce, open, xchachaEncrypt } from '../crypto/aead';
import { ContentIdHasher } from '../crypto/content-id';
import { blobWorkers, sealBatchBytes } from './blob-workers';

const key = new Uint8Array(randomBytes(32));
const text = new TextEncoder().encode('a lesson about sound waves. '.repeat(4000));

function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

describe('blob workers', () => {
  it('seal what xchachaEncrypt produces, and open() accepts it', async () => {
    const nonce = new Uint8Array(randomBytes(24));
    const ad = new TextEncoder().encode('ad');
    const data = new Uint8Array(randomBytes(100_000));
    const { subkey, innerNonce } = innerKeyAndNonce(key, nonce);
    const [raw] = await blobWorkers.sealBatch([{ data, params: null, maxKeptRatio: 0.95, nonce, subkey, innerNonce, ad }]);
    expect(raw?.algo).toBe(0);
    const sealedBox = raw?.bytes ?? new Uint8Array();
    expect(Buffer.from(sealedBox.subarray(0, 24))).toEqual(Buffer.from(nonce));
    expect(Buffer.from(sealedBox.subarray(24))).toEqual(Buffer.from(xchachaEncrypt(key, nonce, data, ad)));
    expect(Buffer.from(open(key, sealedBox, ad))).toEqual(Buffer.from(data));
  });

  it('compute content ids like the main thread', async () => {
    const chunks = [text, new Uint8Array(0), shared(new Uint8Array(randomBytes(70_000)))];
    const hasher = new ContentIdHasher(key);
    const ids = await blobWorkers.hashBatch(key, chunks);
    expect(ids.map((id) => Buffer.from(id).toString('hex'))).toEqual(chunks.map((c) => Buffer.from(hasher.id(c)).toString('hex')));
  });

  it('seal a batch into a shared slab, one result after another, as they would alone', async () => {
    const ad = new TextEncoder().encode('ad');
    const datas = [new Uint8Array(randomBytes(70_000)), text, new Uint8Array(0)];
    const jobs = datas.map((data) => {
      const nonce = new Uint8Array(randomBytes(24));
      const { subkey, innerNonce } = innerKeyAndNonce(key, nonce);
      return { data, params: data === text ? { [1]: 1 } : null, maxKeptRatio: 0.95, nonce, subkey, innerNonce, ad };
    });
    const slab = new Uint8Array(new SharedArrayBuffer(sealBatchBytes(datas.map((d) => d.length)) + 10));
    const inSlab = await blobWorkers.sealBatch(jobs, slab.subarray(10));
    expect(inSlab.map((r) => r.algo)).toEqual([0, 1, 0]);
    let at = 10;
    inSlab.forEach((r, i) => {
      expect(r.bytes.buffer).toBe(slab.buffer);
      expect(r.bytes.byteOffset).toBe(at);
      at += r.bytes.length;
      const plain = open(key, r.bytes, ad);
      const data = datas[i] ?? new Uint8Array();
      expect(Buffer.from(r.algo === 1 ? zlib.brotliDecompressSync(plain) : plain)).toEqual(Buffer.from(data));
    });
    expect(at).toBeLessThan(slab.length); // the compressed one took less than its share
    await expect(blobWorkers.sealBatch(jobs, slab.subarray(0, 100))).rejects.toThrow(/sealBatchBytes/);
    await expect(blobWorkers.sealBatch(jobs, new Uint8Array(slab.length))).rejects.toThrow(/shared memory/);
  });

  it('open blobs, verifying content ids, and report tampering per blob', async () => {
    const ad = new TextEncoder().encode('ad');
    const blobs = [text, new Uint8Array(randomBytes(5000))];
    const hasher = new ContentIdHasher(key);
    const region: number[] = [];
    const items = blobs.map((data) => {
      const nonce = new Uint8Array(randomBytes(24));
      const sealed = [...nonce, ...xchachaEncrypt(key, nonce, data, ad)];
      const start = region.length;
      region.push(...sealed);
      const { subkey, innerNonce } = innerKeyAndNonce(key, nonce);
      return { start, length: sealed.length, subkey, innerNonce, ad, compression: 0, rawLength: data.length, verify: { key, domain: null, id: hasher.id(data) }, keep: true };
    });
    const bytes = new Uint8Array(region);
    const good = await blobWorkers.openBatch(bytes, items);
    expect(good.opened.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(Buffer.from(good.opened[0]?.bytes ?? [])).toEqual(Buffer.from(text));

    const tampered = bytes.slice();
    const at = (items[1]?.start ?? 0) + 30;
    tampered[at] = (tampered[at] ?? 0) ^ 1;
    const bad = await blobWorkers.openBatch(tampered, items);
    expect(bad.opened[0]?.error).toBeUndefined();
    expect(bad.opened[1]?.error).toMatch(/authentication/);

    const wrongId = items.map((item) => ({ ...item, verify: { key, domain: null, id: new Uint8Array(32) } }));
    const mismatch = await blobWorkers.openBatch(bytes, wrongId);
    expect(mismatch.opened[0]?.error).toMatch(/wrong content id/);
  });

  it('decrypt raw blobs in place in shared memory, and wipe a tampered one', async () => {
    const ad = new TextEncoder().encode('ad');
    const data = new Uint8Array(randomBytes(150_000));
    const nonce = new Uint8Array(randomBytes(24));
    const region = shared(new Uint8Array([...nonce, ...xchachaEncrypt(key, nonce, data, ad)]));
    const { subkey, innerNonce } = innerKeyAndNonce(key, nonce);
    const item = { start: 0, length: region.length, subkey, innerNonce, ad, compression: 0, rawLength: data.length, keep: true, inPlace: true };
    const tampered = shared(region);
    tampered[100] = (tampered[100] ?? 0) ^ 1;
    const good = await blobWorkers.openBatch(region, [item]);
    expect(good.opened[0]?.inPlace).toBe(true);
    expect(Buffer.from(region.subarray(24, 24 + data.length))).toEqual(Buffer.from(data));
    const bad = await blobWorkers.openBatch(tampered, [item]);
    expect(bad.opened[0]?.error).toMatch(/authentication/);
    expect(tampered.subarray(24, 24 + data.length).every((b) => b === 0)).toBe(true);
  });
});
