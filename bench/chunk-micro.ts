// Micro-benchmark of the chunker (src/engine/chunk): throughput of FastCdc
// (two bytes per step, unrolled) against the one-byte-per-step reference over
// 256 MiB of seeded random data, chunkStream's overhead, and the deduplication
// that different parameters give on a file edited by small inserts.
//
//   npx tsx bench/chunk-micro.ts [MiB]
//
// Throughput is best of several rounds of CPU time (user + system), so other
// load on the machine disturbs it less than wall time would.
import { chunkBuffer, chunkStream, DEFAULT_CHUNKER_PARAMS, FastCdc, type ChunkerParams } from '../src/engine/chunk/fastcdc';
import { referenceCutter } from '../src/engine/chunk/fastcdc-reference';
import { gearTable } from '../src/engine/chunk/gear';

const MiB = 1024 * 1024;
const KiB = 1024;
const sizeMiB = Number(process.argv[2] ?? 256);
const ROUNDS = 5;

/** xorshift32 bytes: deterministic, so chunk counts compare across runs. */
function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Int32Array(out.buffer, 0, length >>> 2);
  let x = seed | 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  for (let i = words.length * 4; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function cpuSeconds(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

async function cpuSecondsAsync(run: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

const data = seededBytes(sizeMiB * MiB, 1);
const gear = gearTable(new Uint8Array(32).fill(1));
const cdc = new FastCdc(DEFAULT_CHUNKER_PARAMS, gear);
const reference = referenceCutter(DEFAULT_CHUNKER_PARAMS, gear);

let chunkCount = 0;
const variants: [string, () => Promise<number>][] = [
  ['FastCdc 2 bytes/step x4 (chunkBuffer)', async () => cpuSeconds(() => {
    chunkCount = 0;
    for (const _ of chunkBuffer(data, cdc)) chunkCount++;
  })],
  ['reference 1 byte/step', async () => cpuSeconds(() => {
    let start = 0;
    while (start < data.length) start = reference(data, start, data.length, true);
  })],
  ['chunkStream, 4 MiB blocks', () => cpuSecondsAsync(async () => {
    async function* blocks(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < data.length; at += 4 * MiB) yield data.subarray(at, at + 4 * MiB);
    }
    for await (const _ of chunkStream(blocks(), cdc)) { /* drain */ }
  })],
];

console.log(`chunking ${sizeMiB} MiB of seeded random data, params ${JSON.stringify(DEFAULT_CHUNKER_PARAMS)}`);
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of variants) {
    const seconds = await run();
    best.set(name, Math.min(best.get(name) ?? Infinity, seconds));
  }
}
for (const [name, seconds] of best) {
  console.log(`  ${name.padEnd(36)} ${(data.length / 1e6 / seconds).toFixed(0).padStart(5)} MB/s (best of ${ROUNDS}, CPU time)`);
}
console.log(`  ${chunkCount} chunks, mean ${(data.length / chunkCount / KiB).toFixed(1)} KiB`);

// Deduplication after small edits: a 64 MiB file, then the same file with
// `inserts` inserts of 1-4 KiB at random offsets. "new" is the bytes of
// chunks of the edited file that the original does not have.
function chunkSet(bytes: Uint8Array, chunker: FastCdc): { keys: Set<string>; chunks: Uint8Array[] } {
  const keys = new Set<string>();
  const chunks: Uint8Array[] = [];
  for (const chunk of chunkBuffer(bytes, chunker)) {
    // Offset-free identity: length plus a sample of bytes is enough for random data.
    keys.add(chunkKey(chunk));
    chunks.push(chunk);
  }
  return { keys, chunks };
}
function chunkKey(chunk: Uint8Array): string {
  let h = chunk.length;
  for (let i = 0; i < chunk.length; i += 997) h = (Math.imul(h, 31) + chunk[i]!) | 0;
  const tail = chunk.subarray(Math.max(0, chunk.length - 16));
  return `${chunk.length}:${h}:${Array.from(tail).join(',')}`;
}
function edited(original: Uint8Array, inserts: number, seed: number): Uint8Array {
  const rand = seededBytes(inserts * 8, seed);
  const view = new DataView(rand.buffer);
  const edits = Array.from({ length: inserts }, (_, k) => ({
    at: view.getUint32(8 * k) % original.length,
    length: KiB + (view.getUint32(8 * k + 4) % (3 * KiB)),
  })).sort((a, b) => a.at - b.at);
  const out = new Uint8Array(original.length + edits.reduce((n, e) => n + e.length, 0));
  let from = 0;
  let to = 0;
  for (const [k, e] of edits.entries()) {
    out.set(original.subarray(from, e.at), to);
    to += e.at - from;
    out.set(seededBytes(e.length, seed * 1000 + k), to);
    to += e.length;
    from = e.at;
  }
  out.set(original.subarray(from), to);
  return out;
}

const original = seededBytes(64 * MiB, 7);
const fastcdc = (minKiB: number, avgKiB: number, maxKiB: number, normalization = 2): ChunkerParams =>
  ({ algorithm: 'fastcdc-2020', minSize: minKiB * KiB, avgSize: avgKiB * KiB, maxSize: maxKiB * KiB, normalization });
const candidates: ChunkerParams[] = [
  fastcdc(16, 64, 512),
  fastcdc(32, 128, 1024, 1),
  DEFAULT_CHUNKER_PARAMS,
  fastcdc(32, 128, 1024, 3),
  fastcdc(16, 128, 1024),
  fastcdc(64, 128, 1024),
  fastcdc(64, 256, 2048),
  fastcdc(128, 512, 4096),
  fastcdc(512, 1024, 8192), // near restic's 512 KiB / 1 MiB / 8 MiB
];
console.log('\ndedup of a 64 MiB random file after 1-4 KiB inserts (mean of 3 seeds); new = bytes not shared with the original');
for (const inserts of [4, 16]) {
  if (inserts !== 4) console.log('');
  for (const params of candidates) {
    const chunker = new FastCdc(params, gear);
    const base = chunkSet(original, chunker);
    let newBytes = 0;
    let count = 0;
    const trials = 3;
    for (let seed = 1; seed <= trials; seed++) {
      const after = chunkSet(edited(original, inserts, seed), chunker);
      for (const chunk of after.chunks) if (!base.keys.has(chunkKey(chunk))) newBytes += chunk.length;
      count += after.chunks.length;
    }
    const label = `min ${params.minSize / KiB}K avg ${params.avgSize / KiB}K max ${params.maxSize / KiB}K norm ${params.normalization}`;
    console.log(`  ${String(inserts).padStart(2)} inserts  ${label.padEnd(36)} new ${(newBytes / trials / MiB).toFixed(2).padStart(6)} MiB` +
      `  (${(newBytes / trials / inserts / KiB).toFixed(0)} KiB/insert), mean chunk ${(64 * MiB / (count / trials) / KiB).toFixed(0)} KiB`);
  }
}
