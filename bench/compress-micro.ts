// Micro-benchmark behind src/engine/compress: ratio and single-thread speed of
// brotli qualities and gzip levels on the text-like files of a make-corpus
// tree (cut into chunks as backups cut them), the same on mixed content (text
// islands in random bytes), zstd -3 (restic's default level) as the reference
// ratio when the zstd CLI is installed, speed and verdicts of the
// incompressibility detector, main-thread cost of async zlib vs the worker
// pool (as BlobStore uses it: compress and seal), and the whole policy end to
// end (compressionParams, then the workers' sealBatch).
//
//   /work/shared/bench/make-corpus /tmp/corpus-small --size 64M --seed 1
//   npx tsx bench/compress-micro.ts [/tmp/corpus-small]
//
// Speeds are best of ROUNDS in CPU time (user + system) of the synchronous
// API, i.e. one core, so other load on the machine disturbs them less.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { brotliCompress, brotliCompressSync, constants as Z, deflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { chunkBuffer, DEFAULT_CHUNKER_PARAMS, FastCdc } from '../src/engine/chunk/fastcdc';
import { gearTable } from '../src/engine/chunk/gear';
import { blobWorkers } from '../src/engine/workers/blob-workers';
import { Compression, compressionParams, looksIncompressible, MAX_KEPT_RATIO } from '../src/engine/compress/compression';
import { innerKeyAndNonce } from '../src/engine/crypto/aead';

const root = process.argv[2] ?? '/tmp/corpus-small';
const sealKey = new Uint8Array(randomBytes(32));

/** Compresses (per `params`) and seals chunks in a blob worker, as BlobStore does. */
function sealAll(chunks: Uint8Array[], params: (chunk: Uint8Array) => Record<number, number> | null) {
  return blobWorkers.sealBatch(chunks.map((data) => {
    const nonce = new Uint8Array(randomBytes(24));
    const { subkey, innerNonce } = innerKeyAndNonce(sealKey, nonce);
    return { data, params: params(data), maxKeptRatio: MAX_KEPT_RATIO, nonce, subkey, innerNonce, ad: new Uint8Array(0) };
  }));
}
const ROUNDS = 3;
const TEXT_KINDS = ['md', 'txt', 'json', 'csv', 'pdf'];

if (!existsSync(root)) {
  console.error(`no corpus at ${root}; run: /work/shared/bench/make-corpus ${root} --size 64M --seed 1`);
  process.exit(1);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  }).sort();
}

function cpuSeconds(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

function sum(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

// Unique chunks of the corpus, by file extension: what a backup would compress.
const cdc = new FastCdc(DEFAULT_CHUNKER_PARAMS, gearTable(new Uint8Array(32).fill(3)));
const chunksByKind = new Map<string, Uint8Array[]>();
const seen = new Set<string>();
for (const file of filesUnder(root)) {
  const kind = extname(file).slice(1) || 'none';
  for (const chunk of chunkBuffer(new Uint8Array(readFileSync(file)), cdc)) {
    const id = createHash('sha256').update(chunk).digest('hex');
    if (seen.has(id)) continue;
    seen.add(id);
    const list = chunksByKind.get(kind) ?? [];
    list.push(chunk);
    chunksByKind.set(kind, list);
  }
}
const allChunks = [...chunksByKind.values()].flat();
console.log(`corpus ${root}: ${allChunks.length} unique chunks, ${(sum(allChunks) / 1e6).toFixed(1)} MB`);
console.log(`  ${[...chunksByKind].map(([k, c]) => `${k} ${c.length} (${(sum(c) / 1e6).toFixed(1)} MB)`).join(', ')}`);

type Codec = (data: Uint8Array) => Uint8Array;
const brotli = (quality: number, mode: number = Z.BROTLI_MODE_GENERIC, fitWindow = false): Codec => (data) => brotliCompressSync(data, {
  params: {
    [Z.BROTLI_PARAM_QUALITY]: quality,
    [Z.BROTLI_PARAM_MODE]: mode,
    [Z.BROTLI_PARAM_SIZE_HINT]: data.length,
    ...(fitWindow ? { [Z.BROTLI_PARAM_LGWIN]: Math.min(24, Math.max(10, Math.ceil(Math.log2(data.length + 1)))) } : {}),
  },
});
const zstd3 = (data: Uint8Array): number => spawnSync('zstd', ['-3', '-c', '-q'], { input: data, maxBuffer: 1 << 27 }).stdout.length;
const codecs: [string, Codec][] = [
  ...[1, 2, 3, 4, 5, 6].map((q): [string, Codec] => [`brotli q${q}`, brotli(q)]),
  ['brotli q2 window fit', brotli(2, Z.BROTLI_MODE_GENERIC, true)],
  ['brotli q4 window fit', brotli(4, Z.BROTLI_MODE_GENERIC, true)],
  ['brotli q2 mode text', brotli(2, Z.BROTLI_MODE_TEXT)],
  ['brotli q4 mode text', brotli(4, Z.BROTLI_MODE_TEXT)],
  ...[1, 6, 9].map((level): [string, Codec] => [`gzip ${level}`, (data) => deflateRawSync(data, { level })]),
];

console.log(`\nratio (compressed/raw) and MB/s on one core, best of ${ROUNDS}; "text" = md+txt+json+csv`);
const hasZstd = spawnSync('zstd', ['--version']).status === 0;
if (hasZstd) {
  const cells = TEXT_KINDS.map((kind) => {
    const chunks = chunksByKind.get(kind) ?? [];
    const out = chunks.reduce((n, c) => n + zstd3(c), 0);
    return `${kind} ${(out / sum(chunks)).toFixed(3)}`;
  });
  console.log(`  ${'zstd -3 (restic)'.padEnd(20)} ${cells.map((c) => c.padEnd(22)).join('')}`);
}
for (const [name, codec] of codecs) {
  const cells: string[] = [];
  let textRaw = 0;
  let textOut = 0;
  let textSeconds = 0;
  for (const kind of TEXT_KINDS) {
    const chunks = chunksByKind.get(kind) ?? [];
    let out = 0;
    let best = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      out = 0;
      best = Math.min(best, cpuSeconds(() => {
        for (const c of chunks) out += codec(c).length;
      }));
    }
    const raw = sum(chunks);
    if (kind !== 'pdf') {
      textRaw += raw;
      textOut += out;
      textSeconds += best;
    }
    cells.push(`${kind} ${(out / raw).toFixed(3)} ${(raw / 1e6 / best).toFixed(0).padStart(4)}MB/s`);
  }
  console.log(`  ${name.padEnd(20)} ${cells.map((c) => c.padEnd(22)).join('')}| text ${(textOut / textRaw).toFixed(3)} ${(textRaw / 1e6 / textSeconds).toFixed(0)} MB/s`);
}

// Mixed content: 4 KiB islands of corpus text at a given share of 128 KiB chunks of random bytes.
console.log('\nmixed content: 4 KiB text islands in random 128 KiB chunks (32 chunks each); ratio, MB/s on one core');
const corpusText = Buffer.concat(chunksByKind.get('md') ?? []);
for (const share of [0.05, 0.12, 0.25, 0.5]) {
  const mixed: Uint8Array[] = [];
  for (let k = 0; k < 32; k++) {
    const chunk = new Uint8Array(128 * 1024);
    randomFillSync(chunk);
    const islands = Math.round((share * chunk.length) / 4096);
    for (let j = 0; j < islands; j++) {
      const at = Math.floor((j * chunk.length) / islands);
      const from = ((k * 7919 + j * 104729) * 4096) % Math.max(1, corpusText.length - 4096);
      chunk.set(corpusText.subarray(from, from + 4096), at);
    }
    mixed.push(chunk);
  }
  const cells = [2, 4, 5].map((q) => {
    let out = 0;
    const seconds = cpuSeconds(() => {
      for (const c of mixed) out += brotli(q)(c).length;
    });
    return `q${q} ${(out / sum(mixed)).toFixed(3)} ${(sum(mixed) / 1e6 / seconds).toFixed(0).padStart(4)}MB/s`;
  });
  const zstd = hasZstd ? `zstd -3 ${(mixed.reduce((n, c) => n + zstd3(c), 0) / sum(mixed)).toFixed(3)}` : '';
  const detected = mixed.filter((c) => looksIncompressible(c)).length;
  console.log(`  text ${String(share * 100).padStart(2)}%  ${cells.join('   ')}   ${zstd}   judged incompressible ${detected}/32`);
}

console.log('\nincompressibility detector');
const random = new Uint8Array(64 * 1024 * 1024);
for (let at = 0; at < random.length; at += 65536) randomFillSync(random, at, 65536);
const CHUNK = 512 * 1024;
let detectBest = Infinity;
let flagged = 0;
for (let round = 0; round < ROUNDS; round++) {
  flagged = 0;
  detectBest = Math.min(detectBest, cpuSeconds(() => {
    for (let at = 0; at < random.length; at += CHUNK) if (looksIncompressible(random.subarray(at, at + CHUNK))) flagged++;
  }));
}
console.log(`  random data, 512 KiB chunks: ${(random.length / 1e6 / detectBest).toFixed(0)} MB/s of chunk data, ${flagged}/${random.length / CHUNK} judged incompressible`);
for (const [kind, chunks] of chunksByKind) {
  const raw = chunks.filter((c) => looksIncompressible(c));
  // What brotli q4 would have saved on the chunks left raw: the detector's misses.
  const missed = raw.reduce((n, c) => n + Math.max(0, c.length - brotli(4)(c).length), 0);
  console.log(`  ${kind.padEnd(5)} ${raw.length}/${chunks.length} chunks judged incompressible (${(sum(raw) / 1e6).toFixed(1)} of ${(sum(chunks) / 1e6).toFixed(1)} MB); ` +
    `q4 would have saved ${(missed / 1e3).toFixed(1)} kB on them`);
}

// Main-thread cost per call: the event loop's active time, compressing text chunks two at a time.
console.log('\nmain-thread (event loop) time per call, text chunks, 2 in flight');
const textChunks = TEXT_KINDS.filter((k) => k !== 'pdf').flatMap((k) => chunksByKind.get(k) ?? []);
const q2params = { [Z.BROTLI_PARAM_QUALITY]: 2 };
const asyncVariants: [string, (d: Uint8Array) => Promise<Uint8Array>][] = [
  ['zlib.brotliCompress', (d) => new Promise((resolve, reject) => brotliCompress(d, { params: q2params }, (e, r) => (e ? reject(e) : resolve(r))))],
  ['blob worker (seal)', async (d) => (await sealAll([d], () => q2params))[0]?.bytes ?? new Uint8Array()],
];
for (const [name, run] of asyncVariants) {
  await Promise.all(textChunks.slice(0, 4).map(run)); // warm up (the pool starts its workers on first use)
  const queue = [...textChunks];
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  await Promise.all([0, 1].map(async () => {
    for (let c = queue.shift(); c; c = queue.shift()) await run(c);
  }));
  const used = performance.eventLoopUtilization(before);
  const seconds = (performance.now() - started) / 1e3;
  console.log(`  ${name.padEnd(20)} ${(used.active / textChunks.length).toFixed(2)} ms/call, ${(sum(textChunks) / 1e6 / seconds).toFixed(0)} MB/s wall`);
}

console.log('\ncompression policy end to end over all unique chunks (compressionParams + sealBatch)');
let stored = 0;
let compressedCount = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
// Two in flight, as on this 2-core machine's thread pool.
const pending = [...allChunks];
await Promise.all([0, 1].map(async () => {
  for (let chunk = pending.shift(); chunk; chunk = pending.shift()) {
    const [result] = await sealAll([chunk], compressionParams);
    stored += (result?.bytes.length ?? 40) - 40; // nonce and tag
    if (result?.algo === Compression.brotli) compressedCount++;
  }
}));
const wall = (performance.now() - started) / 1e3;
const cpu = process.cpuUsage(cpuBefore);
console.log(`  ${(sum(allChunks) / 1e6).toFixed(1)} MB -> ${(stored / 1e6).toFixed(2)} MB (${(stored / sum(allChunks)).toFixed(3)}), ` +
  `${compressedCount}/${allChunks.length} chunks compressed, ${(sum(allChunks) / 1e6 / wall).toFixed(0)} MB/s wall, process CPU (incl. workers) ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`);
if (hasZstd) {
  const zstdAll = allChunks.reduce((n, c) => n + Math.min(c.length, zstd3(c)), 0);
  console.log(`  zstd -3 on every chunk (restic-like): ${(zstdAll / 1e6).toFixed(2)} MB (${(zstdAll / sum(allChunks)).toFixed(3)}); ours / zstd = ${(stored / zstdAll).toFixed(3)}`);
}
