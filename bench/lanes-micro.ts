// Micro-benchmark behind pack lanes (repo/blob-store.ts): BlobStore.saveData
// on the default lane against the same data spread over named lanes (two
// interleaved, and four round robin, which exceeds the open-lane cap: the
// least recently used lane is retired every batch, so each pack holds one
// batch, the worst case), into an in-memory repository. It feeds batches as
// FileStore does (32 chunks of 128 KiB, two batches in flight) and reports
// wall time, process CPU (main thread and blob workers) and packs written.
//
//   node --expose-gc --import tsx bench/lanes-micro.ts [MiB per round, default 256] [rounds, default 5]
//
// Data is random (the incompressibility check skips brotli), so the numbers
// are dominated by hashing and sealing, which is where lane bookkeeping would
// show if it cost anything. Best of the rounds is reported.
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { defaultKdfParams } from '../src/engine/crypto/kdf';
import { BlobStore } from '../src/engine/repo/blob-store';
import { Repository } from '../src/engine/repo/repository';
import { MemoryBackend } from '../src/engine/storage/memory';
import { blobWorkers } from '../src/engine/workers/blob-workers';

const MiB = 1024 * 1024;
const CHUNK = 128 * 1024;
const BATCH = 32;
const IN_FLIGHT = 2;
const total = Number(process.argv[2] ?? 256) * MiB;
const rounds = Number(process.argv[3] ?? 5);

// Shared memory, as FileStore's read blocks are: workers read it without a copy.
const data = new Uint8Array(new SharedArrayBuffer(total));
randomFillSync(data);
const batches: Uint8Array[][] = [];
for (let at = 0; at < total; at += CHUNK * BATCH) {
  const batch: Uint8Array[] = [];
  for (let c = at; c < Math.min(total, at + CHUNK * BATCH); c += CHUNK) batch.push(data.subarray(c, c + CHUNK));
  batches.push(batch);
}

async function run(laneOf: (batch: number) => string | undefined): Promise<{ ms: number; cpuMs: number; packs: number }> {
  const repo = await Repository.init(new MemoryBackend(), 'bench', { kdf: { ...defaultKdfParams(), N: 1024 } });
  const store = new BlobStore(repo);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const inFlight: Array<Promise<Uint8Array[]>> = [];
  for (let i = 0; i < batches.length; i++) {
    const lane = laneOf(i);
    inFlight.push(lane === undefined ? store.saveData(batches[i] as Uint8Array[]) : store.saveData(batches[i] as Uint8Array[], lane));
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await store.flush();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, packs: store.stats.packs };
}

const modes: Array<[string, (batch: number) => string | undefined]> = [
  ['default lane', () => undefined],
  ['2 lanes interleaved', (i) => (i % 2 === 0 ? 'a:media' : 'a:text')],
  ['4 lanes round robin', (i) => `f${i % 4}:media`],
];
process.stdout.write(`${total / MiB} MiB per round, ${rounds} rounds, ${blobWorkers.writers} blob writer(s)\n`);
const gc = (globalThis as { gc?: () => void }).gc;
for (let w = 0; w < 2; w++) await run(() => undefined); // warm up workers and the JIT
// Modes take turns within each round, so drift in machine load hits them alike.
const best = new Map<string, { ms: number; cpuMs: number; packs: number }>();
for (let r = 0; r < rounds; r++) {
  for (const [name, laneOf] of modes) {
    gc?.(); // the previous round's repository is garbage: collect it outside the timing
    const result = await run(laneOf);
    const before = best.get(name);
    if (!before || result.ms < before.ms) best.set(name, result);
  }
}
for (const [name, result] of best) {
  const mibps = (total / MiB) / (result.ms / 1000);
  process.stdout.write(`${name.padEnd(22)} ${result.ms.toFixed(0).padStart(6)} ms  ${mibps.toFixed(0).padStart(4)} MiB/s  cpu ${result.cpuMs.toFixed(0).padStart(6)} ms  ${result.packs} packs\n`);
}
