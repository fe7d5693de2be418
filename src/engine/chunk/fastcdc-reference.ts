// A plain one-byte-per-step FastCDC cut search, written straight from the rules
// in ./fastcdc's header. Not used by the engine: tests check the optimised
// FastCdc against it, and bench/chunk-micro.ts times it as the 1-byte baseline.
import { spreadMask, type ChunkerParams } from './fastcdc';

export function referenceCutter(params: ChunkerParams, gearTable: Uint32Array): (data: Uint8Array, start: number, end: number, eof: boolean) => number {
  const { minSize, avgSize, maxSize, normalization } = params;
  const avgBits = Math.log2(avgSize);
  const maskS = spreadMask(avgBits + normalization);
  const maskL = spreadMask(avgBits - normalization);
  const gear = Int32Array.from(gearTable, (g) => g | 0);
  return (data, start, end, eof) => {
    let fp = 0;
    const stop = Math.min(end, start + maxSize);
    for (let i = Math.max(start, start + minSize - 32); i < stop; i++) {
      fp = ((fp << 1) + gear[data[i]!]!) | 0;
      if (i < start + minSize) continue;
      const mask = i < start + avgSize ? maskS : maskL;
      if ((fp & mask) === 0) return i + 1;
    }
    if (start + maxSize <= end) return start + maxSize;
    return eof ? end : -1;
  };
}
