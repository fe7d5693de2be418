// Reading a file for backup: blocks sized from the file's expected length (a
// 4 MiB buffer for a 50 KiB file would flood the GC with external memory), in
// shared memory (the blob workers read chunks of it without a copy), fresh
// for every block (the chunker yields views of them), one read ahead of the
// consumer. Reading goes on to EOF in case the file grew.

import type { FileHandle } from 'node:fs/promises';

/** End-of-file probes are small pooled buffers: almost always they read nothing. */
const PROBE = 4096;

export async function* readBlocks(handle: FileHandle, expected: number, blockSize = 4 * 1024 * 1024): AsyncGenerator<Uint8Array> {
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  let position = 0;
  const readBlock = async (): Promise<Uint8Array> => {
    const want = Math.min(blockSize, expected - position);
    if (want <= 0) {
      const probe = Buffer.allocUnsafe(PROBE);
      const { bytesRead } = await handle.read(probe, 0, PROBE, position);
      position += bytesRead;
      return new Uint8Array(probe.buffer, probe.byteOffset, bytesRead);
    }
    const buffer = new Uint8Array(new SharedArrayBuffer(want));
    let filled = 0;
    while (filled < want) {
      const { bytesRead } = await handle.read(buffer, filled, want - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    position += filled;
    return filled === want ? buffer : buffer.subarray(0, filled);
  };
  // A read still pending when the consumer stops must not become an unhandled rejection.
  const start = (): Promise<Uint8Array> => {
    const read = readBlock();
    read.catch(() => undefined);
    return read;
  };
  let next = start();
  for (;;) {
    const block = await next;
    if (block.length === 0) return;
    next = start();
    yield block;
  }
}
