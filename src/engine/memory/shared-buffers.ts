// Shared memory for bulk data (packs being built, ranges being read): blob
// workers read and write it without a copy, and pools reuse it, because a
// fresh buffer costs zero-filling by V8, page faults and garbage collection
// (together about a tenth of a backup's or restore's CPU time when measured).

/** A buffer in shared memory. */
export function sharedBuffer(size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size));
}

/**
 * Reuses buffers of one size. A request larger than that size gets a fresh
 * buffer, which is not kept. Only give back a buffer nothing reads any more.
 */
export class SharedBufferPool {
  private readonly free: Uint8Array[] = [];

  constructor(readonly size: number, private readonly keep = 4) {}

  take(minimum = this.size): Uint8Array {
    if (minimum <= this.size) return this.free.pop() ?? sharedBuffer(this.size);
    return sharedBuffer(minimum);
  }

  give(buffer: Uint8Array): void {
    if (buffer.byteLength === this.size && buffer.byteOffset === 0 && buffer.buffer.byteLength === this.size && this.free.length < this.keep) {
      this.free.push(buffer);
    }
  }
}
