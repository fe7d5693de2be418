// Micro-benchmark behind src/engine/compress: ratio and single-thread speed of
// brotli qualities and gzip levels on the text-like files of a make-corpus
// tree (cut into chunks as backups cut them), zstd -3 (restic's default level)
// as the reference ratio when the zstd CLI is installed, speed and verdicts of
// the incompressibility detector, and compressChunk end to end.
//
//   /work/shared/bench/make-corpus /tmp/corpus-small --size 64M --seed 1
//   npx tsx bench/compress-micro.ts [/tmp/corpus-small]
//
// Speeds are best of ROUNDS in CPU time (user + system) of the synchronous
// API, i.e. one core, so other load on the machine disturbs them less.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants as Z, deflateRawSync } from 'node:zlib';
import { chunkStream, DEFAULT_CHUNKER_PARAMS, FastCdc, readFileBlocks } from '../src/engine/chunk/fastcdc';
import { gearTable } from '../src/engine/chunk/gear';
import { BROTLI_QUALITY, Compression, compressChunk, looksIncompressible } from '../src/engine/compress/compression';

const root = process.argv[2] ?? '/tmp/corpus-small';
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
  for await (const chunk of chunkStream(readFileBlocks(file), cdc)) {
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
const brotli = (quality: number, mode: number = Z.BROTLI_MODE_GENERIC): Codec => (data) => brotliCompressSync(data, {
  params: {
    [Z.BROTLI_PARAM_QUALITY]: quality,
    [Z.BROTLI_PARAM_MODE]: mode,
    [Z.BROTLI_PARAM_SIZE_HINT]: data.length,
    [Z.BROTLI_PARAM_LGWIN]: Math.min(24, Math.max(10, Math.ceil(Math.log2(data.length + 1)))),
  },
});
const codecs: [string, Codec][] = [
  ...[1, 2, 3, 4, 5, 6].map((q): [string, Codec] => [`brotli q${q}`, brotli(q)]),
  ['brotli q4 mode text', brotli(4, Z.BROTLI_MODE_TEXT)],
  ['brotli q5 mode text', brotli(5, Z.BROTLI_MODE_TEXT)],
  ['brotli q4 lgwin 22', (data) => brotliCompressSync(data, { params: { [Z.BROTLI_PARAM_QUALITY]: 4 } })],
  ...[1, 6, 9].map((level): [string, Codec] => [`gzip ${level}`, (data) => deflateRawSync(data, { level })]),
];

console.log(`\nratio (compressed/raw) and MB/s on one core, best of ${ROUNDS}; "text" = md+txt+json+csv`);
const hasZstd = spawnSync('zstd', ['--version']).status === 0;
if (hasZstd) {
  const cells = TEXT_KINDS.map((kind) => {
    const chunks = chunksByKind.get(kind) ?? [];
    const out = chunks.reduce((n, c) => n + spawnSync('zstd', ['-3', '-c', '-q'], { input: c, maxBuffer: 1 << 27 }).stdout.length, 0);
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
  console.log(`  ${kind.padEnd(5)} ${raw.length}/${chunks.length} chunks judged incompressible (${(sum(raw) / 1e6).toFixed(1)} of ${(sum(chunks) / 1e6).toFixed(1)} MB)`);
}

console.log(`\ncompressChunk (brotli q${BROTLI_QUALITY}) end to end over all unique chunks`);
let stored = 0;
let compressedCount = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
// Two in flight, as on this 2-core machine's thread pool.
const queue = [...allChunks];
await Promise.all([0, 1].map(async () => {
  for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
    const result = await compressChunk(chunk);
    stored += result.data.length;
    if (result.algo === Compression.brotli) compressedCount++;
  }
}));
const wall = (performance.now() - started) / 1e3;
const cpu = process.cpuUsage(cpuBefore);
console.log(`  ${(sum(allChunks) / 1e6).toFixed(1)} MB -> ${(stored / 1e6).toFixed(2)} MB (${(stored / sum(allChunks)).toFixed(3)}), ` +
  `${compressedCount}/${allChunks.length} chunks compressed, ${(sum(allChunks) / 1e6 / wall).toFixed(0)} MB/s wall, main thread CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`);
if (hasZstd) {
  const zstdAll = allChunks.reduce((n, c) => n + Math.min(c.length, spawnSync('zstd', ['-3', '-c', '-q'], { input: c, maxBuffer: 1 << 27 }).stdout.length), 0);
  console.log(`  zstd -3 on every chunk (restic-like): ${(zstdAll / 1e6).toFixed(2)} MB (${(zstdAll / sum(allChunks)).toFixed(3)}); ours / zstd = ${(stored / zstdAll).toFixed(3)}`);
}
