import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBuffer, FastCdc, type ChunkerParams } from '../chunk/fastcdc';
import { gearTable } from '../chunk/gear';
import { Block, BlockPool, readFileChunks, SMALL_FILE, type FileChunk } from './file-chunks';

const KiB = 1024;
const MiB = 1024 * KiB;
// Small chunks and reads, so that files of a few MiB cross many blocks.
const PARAMS: ChunkerParams = { algorithm: 'fastcdc-2020', minSize: 8 * KiB, avgSize: 32 * KiB, maxSize: 128 * KiB, normalization: 2 };
const cdc = new FastCdc(PARAMS, gearTable(new Uint8Array(32).fill(7)));

/** A pool that records what comes back to it. */
class CountingPool extends BlockPool {
  returned = 0;
  override give(block: Block): void {
    this.returned++;
    super.give(block);
  }
}

async function chunksOf(path: string, expected: number, pool: BlockPool, keep = false): Promise<{ chunks: Uint8Array[]; taken: FileChunk[] }> {
  const handle = await open(path, 'r');
  try {
    const chunks: Uint8Array[] = [];
    const taken: FileChunk[] = [];
    for await (const chunk of readFileChunks(handle, expected, cdc, pool)) {
      chunks.push(chunk.data.slice()); // a copy: the block may be reused once released
      if (keep) taken.push(chunk);
      else chunk.block.release();
    }
    return { chunks, taken };
  } finally {
    await handle.close();
  }
}

describe('readFileChunks', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-file-chunks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts the same chunks as chunkBuffer over the whole file, for any read size', async () => {
    const data = new Uint8Array(randomBytes(3 * MiB + 4321));
    const path = join(dir, 'data.bin');
    await writeFile(path, data);
    const expected = [...chunkBuffer(data, cdc)].map((c) => Buffer.from(c).toString('hex'));
    for (const readSize of [64 * KiB, 100 * KiB + 3, 1 * MiB]) {
      const { chunks } = await chunksOf(path, data.length, new BlockPool(PARAMS.maxSize, readSize));
      expect(chunks.map((c) => Buffer.from(c).toString('hex'))).toEqual(expected);
    }
  });

  it('yields views of shared memory, each within one block', async () => {
    const data = new Uint8Array(randomBytes(2 * MiB));
    const path = join(dir, 'shared.bin');
    await writeFile(path, data);
    const { taken } = await chunksOf(path, data.length, new BlockPool(PARAMS.maxSize, 256 * KiB), true);
    expect(taken.length).toBeGreaterThan(10);
    for (const { data: chunk, block } of taken) {
      expect(chunk.buffer).toBe(block.bytes.buffer);
      expect(chunk.buffer instanceof SharedArrayBuffer).toBe(true);
    }
  });

  it('returns every pooled block once all its chunks are released, and reuses them', async () => {
    const data = new Uint8Array(randomBytes(2 * MiB + 17));
    const path = join(dir, 'pooled.bin');
    await writeFile(path, data);
    const pool = new CountingPool(PARAMS.maxSize, 256 * KiB);
    const { taken } = await chunksOf(path, data.length, pool, true);
    expect(pool.returned).toBe(1); // only the end-of-file probe's block: the others are held by chunks
    const blocks = new Set(taken.map((c) => c.block));
    for (const chunk of taken) chunk.block.release();
    expect(pool.returned).toBe(blocks.size + 1);
    // A second file takes the returned blocks instead of new ones.
    const taken2 = (await chunksOf(path, data.length, pool, true)).taken;
    expect(taken2.some((c) => blocks.has(c.block))).toBe(true);
    expect(() => {
      for (const chunk of taken2) chunk.block.release();
      taken2[0]!.block.release();
    }).toThrow(/released more often/);
  });

  it('reads small files into fresh exact-size memory outside the pool', async () => {
    const data = new Uint8Array(randomBytes(SMALL_FILE - 5));
    const path = join(dir, 'small.bin');
    await writeFile(path, data);
    const pool = new CountingPool(PARAMS.maxSize, 256 * KiB);
    const { chunks, taken } = await chunksOf(path, data.length, pool, true);
    expect(Buffer.compare(Buffer.concat(chunks), data)).toBe(0);
    expect(taken[0]!.block.bytes.length).toBe(data.length);
    for (const chunk of taken) chunk.block.release();
    expect(pool.returned).toBe(1); // the probe's block only
  });

  it('reads what was appended after the size was taken, and stops at a shorter end', async () => {
    const path = join(dir, 'growing.bin');
    await writeFile(path, 'hello ');
    await appendFile(path, 'world');
    const pool = new BlockPool(PARAMS.maxSize, 64 * KiB);
    expect(Buffer.concat((await chunksOf(path, 6, pool)).chunks).toString()).toBe('hello world');
    expect(Buffer.concat((await chunksOf(path, 100, pool)).chunks).toString()).toBe('hello world');
    // A "small" file that grew past many blocks still chunks like the whole.
    const big = new Uint8Array(randomBytes(MiB));
    await writeFile(path, big);
    const { chunks } = await chunksOf(path, 1000, pool);
    expect(chunks.map((c) => c.length)).toEqual([...chunkBuffer(big, cdc)].map((c) => c.length));
  });

  it('handles empty files and a consumer that stops early', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, new Uint8Array(0));
    expect((await chunksOf(empty, 0, new BlockPool(PARAMS.maxSize, 64 * KiB))).chunks).toEqual([]);
    const big = join(dir, 'big');
    await writeFile(big, randomBytes(3 * MiB));
    const handle = await open(big, 'r');
    let seen = 0;
    for await (const chunk of readFileChunks(handle, 3 * MiB, cdc, new BlockPool(PARAMS.maxSize, 64 * KiB))) {
      expect(chunk.data.length).toBeGreaterThan(0);
      seen++;
      break;
    }
    await handle.close();
    expect(seen).toBe(1);
  });

  it('refuses a pool whose carry area cannot hold a maximum-size chunk', async () => {
    const path = join(dir, 'any.bin');
    await writeFile(path, 'x');
    await expect(chunksOf(path, 1, new BlockPool(PARAMS.maxSize - 1, 64 * KiB))).rejects.toThrow(/carry area/);
  });
});
