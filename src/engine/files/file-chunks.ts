// Reading a file for backup and cutting it into chunks, in reused shared
// memory. Fresh buffers are costly here: V8 zero-fills every new
// (Shared)ArrayBuffer and the kernel faults its pages in, which measured about
// a tenth of a backup's CPU time. So files larger than a small-file limit are
// read into blocks from a pool, and a block goes back to the pool only when
// the last chunk cut from it is released by the caller (its blob is stored).
//
// Every chunk is a view of exactly one block: a block begins with a carry
// area of the chunker's maximum chunk size, into which the unfinished tail of
// the previous block is copied, so a chunk never spans two blocks and no
// chunk is ever concatenated. Blocks are shared memory, so the blob workers
// read chunks without a copy. One read runs ahead of the chunker. Reading goes
// on to end of file in case the file grew.

import type { FileHandle } from 'node:fs/promises';
import type { FastCdc } from '../chunk/fastcdc';

/** A block of shared memory with a count of the users still reading it. */
export class Block {
  private refs = 0;

  constructor(readonly bytes: Uint8Array, private readonly pool: BlockPool | undefined) {}

  retain(): void {
    this.refs++;
  }

  /** Drops one user; the last one hands the block back to its pool. */
  release(): void {
    if (this.refs <= 0) throw new Error('block released more often than retained');
    this.refs--;
    if (this.refs === 0) this.pool?.give(this);
  }
}

/** Reusable blocks of one size: `carry` bytes of room for a tail, then `readSize` bytes of file data. */
export class BlockPool {
  private readonly free: Block[] = [];

  constructor(readonly carry: number, readonly readSize: number, private readonly keep = 16) {}

  take(): Block {
    return this.free.pop() ?? new Block(new Uint8Array(new SharedArrayBuffer(this.carry + this.readSize)), this);
  }

  give(block: Block): void {
    if (this.free.length < this.keep) this.free.push(block);
  }
}

export interface FileChunk {
  data: Uint8Array;
  /** Retained once for this chunk: release() it when the chunk's bytes are no longer read. */
  block: Block;
}

/** Files up to this size are read into an exact-size fresh buffer: a pooled block would sit mostly empty. */
export const SMALL_FILE = 256 * 1024;

interface Filled {
  block: Block;
  /** New file data is at bytes[start, end). */
  start: number;
  end: number;
}

/**
 * The chunks of a file, in order, identical to chunkBuffer over its whole
 * content. `expected` is the size from stat (the file may have changed since).
 */
export async function* readFileChunks(handle: FileHandle, expected: number, cdc: FastCdc, pool: BlockPool): AsyncGenerator<FileChunk> {
  const carry = pool.carry;
  if (carry < cdc.params.maxSize) throw new RangeError('the pool\'s carry area must hold a maximum-size chunk');
  let position = 0;
  let first = true;
  const read = async (): Promise<Filled> => {
    let block: Block;
    let start: number;
    let want: number;
    if (first && expected <= SMALL_FILE) {
      // Fresh, exact size, outside the pool: no tail ever needs to go before it.
      block = new Block(new Uint8Array(new SharedArrayBuffer(Math.max(1, expected))), undefined);
      start = 0;
      want = expected;
    } else {
      block = pool.take();
      start = first ? 0 : carry; // the first block has no tail: read into its carry area too
      want = block.bytes.length - start;
    }
    first = false;
    block.retain(); // the chunker's own reference, dropped once the block is scanned and its tail copied
    let filled = 0;
    try {
      while (filled < want) {
        const { bytesRead } = await handle.read(block.bytes, start + filled, want - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      block.release();
      throw error;
    }
    position += filled;
    return { block, start, end: start + filled };
  };
  // A read still pending when the consumer stops must not become an unhandled rejection.
  const startRead = (): Promise<Filled> => {
    const pending = read();
    pending.catch(() => undefined);
    return pending;
  };

  let next: Promise<Filled> | undefined = startRead();
  // The unfinished chunk at the end of the previous block, and the hash state after it.
  let tail: { block: Block; from: number; to: number; fp: number } | undefined;
  try {
    for (;;) {
      const filled: Filled = await next;
      next = undefined;
      const { block, start, end } = filled;
      if (end === start) {
        block.release();
        break;
      }
      next = startRead();
      const bytes = block.bytes;
      let chunkStart = start;
      let fp = 0;
      if (tail) {
        const length = tail.to - tail.from;
        if (length > start) throw new Error('tail larger than the carry area'); // only a bug can cause this
        chunkStart = start - length;
        bytes.set(tail.block.bytes.subarray(tail.from, tail.to), chunkStart);
        fp = tail.fp;
        tail.block.release();
        tail = undefined;
      }
      let from = start;
      while (chunkStart < end) {
        const cutAt = cdc.scan(bytes, chunkStart, from, end, fp);
        if (cutAt < 0) {
          tail = { block, from: chunkStart, to: end, fp: cdc.fpAfterScan };
          block.retain();
          break;
        }
        block.retain();
        yield { data: bytes.subarray(chunkStart, cutAt), block };
        chunkStart = cutAt;
        from = cutAt;
        fp = 0;
      }
      block.release(); // scanned: only its chunks (and a tail reference) hold it now
    }
    if (tail) {
      const { block, from, to } = tail;
      tail = undefined;
      yield { data: block.bytes.subarray(from, to), block }; // the tail's reference passes to the chunk
    }
  } finally {
    // Stopped early: a pending read's block (and a tail) are simply not returned to the pool.
    if (tail) tail.block.release();
  }
}
