import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBuffer, chunkStream, DEFAULT_CHUNKER_PARAMS, FastCdc } from '../chunk/fastcdc';
import { gearTable } from '../chunk/gear';
import { readBlocks } from './file-reader';

const MiB = 1024 * 1024;

async function readAll(path: string, expected: number, blockSize?: number): Promise<Uint8Array[]> {
  const handle = await open(path, 'r');
  try {
    const blocks: Uint8Array[] = [];
    for await (const block of readBlocks(handle, expected, blockSize)) blocks.push(block);
    return blocks;
  } finally {
    await handle.close();
  }
}

describe('readBlocks', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-reader-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file as fresh shared blocks of at most blockSize, in order', async () => {
    const data = new Uint8Array(randomBytes(5 * MiB + 123));
    const path = join(dir, 'data.bin');
    await writeFile(path, data);
    const blocks = await readAll(path, data.length, MiB);
    expect(blocks.length).toBe(6);
    for (const b of blocks) expect(b.length).toBeLessThanOrEqual(MiB);
    expect(blocks.every((b) => b.buffer instanceof SharedArrayBuffer)).toBe(true);
    expect(new Set(blocks.map((b) => b.buffer)).size).toBe(blocks.length);
    expect(Buffer.compare(Buffer.concat(blocks), data)).toBe(0);
  });

  it('reads what was appended after the size was taken, and stops at a shorter end', async () => {
    const path = join(dir, 'growing.bin');
    await writeFile(path, 'hello ');
    await appendFile(path, 'world');
    expect(Buffer.concat(await readAll(path, 6)).toString()).toBe('hello world');
    expect(Buffer.concat(await readAll(path, 100)).toString()).toBe('hello world');
  });

  it('feeds chunkStream to the same chunks as chunkBuffer of the whole file', async () => {
    const data = new Uint8Array(randomBytes(9 * MiB + 1));
    const path = join(dir, 'chunks.bin');
    await writeFile(path, data);
    const cdc = new FastCdc(DEFAULT_CHUNKER_PARAMS, gearTable(new Uint8Array(32)));
    const handle = await open(path, 'r');
    const streamed: number[] = [];
    for await (const chunk of chunkStream(readBlocks(handle, data.length), cdc)) streamed.push(chunk.length);
    await handle.close();
    expect(streamed).toEqual([...chunkBuffer(data, cdc)].map((c) => c.length));
  });

  it('handles empty files and a consumer that stops early', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, new Uint8Array(0));
    expect(await readAll(empty, 0)).toEqual([]);
    const big = join(dir, 'big');
    await writeFile(big, randomBytes(3 * MiB));
    const handle = await open(big, 'r');
    for await (const block of readBlocks(handle, 3 * MiB, MiB)) {
      expect(block.length).toBe(MiB);
      break;
    }
    await handle.close();
  });
});
