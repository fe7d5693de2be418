// The benchmark corpus: generating it with /work/shared/bench/make-corpus, caching the
// pristine tree in bench/.work/cache between runs (validated by generator hash, size,
// seed and a name/size/mtime fingerprint), copying it to the working location and
// applying the single edit round (make-corpus --mutate).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capture, describeFailure, succeeded } from './proc';
import { scanTree, statFingerprint, totals, type TreeTotals } from './tree';

export const MAKE_CORPUS = process.env.BENCH_MAKE_CORPUS ?? '/work/shared/bench/make-corpus';

export interface PreparedCorpus {
  dir: string;
  pristine: TreeTotals;
  fromCache: boolean;
  /** Seconds spent generating (0 when taken from the cache). */
  generateS: number;
  copyS: number;
  generatorOutput: string;
}

interface CacheStamp {
  sizeBytes: number;
  seed: number;
  generatorSha256: string;
  fingerprint: string;
  totals: TreeTotals;
}

function generatorHash(): string {
  return createHash('sha256').update(readFileSync(MAKE_CORPUS)).digest('hex');
}

async function generate(dir: string, sizeBytes: number, seed: number): Promise<{ seconds: number; output: string }> {
  const t0 = performance.now();
  const r = await capture('python3', [MAKE_CORPUS, dir, '--size', String(sizeBytes), '--seed', String(seed)]);
  if (!succeeded(r)) throw new Error(`make-corpus failed: ${describeFailure(r)}`);
  return { seconds: (performance.now() - t0) / 1000, output: r.stdout.trim() };
}

async function copyTree(src: string, dst: string): Promise<number> {
  const t0 = performance.now();
  const r = await capture('cp', ['-a', '--reflink=auto', src, dst]);
  if (!succeeded(r)) throw new Error(`cp -a ${src} ${dst} failed: ${describeFailure(r)}`);
  return (performance.now() - t0) / 1000;
}

/**
 * Puts the pristine corpus for (sizeBytes, seed) at `dir` (which must not exist).
 * With a cache dir, reuses a valid cached copy or generates one there first; other
 * cached corpora are deleted so the cache never holds more than one.
 */
export async function prepareCorpus(opts: {
  dir: string;
  cacheDir: string | null;
  sizeBytes: number;
  seed: number;
  log: (msg: string) => void;
}): Promise<PreparedCorpus> {
  const { dir, cacheDir, sizeBytes, seed, log } = opts;
  if (cacheDir === null) {
    log(`generating corpus (${sizeBytes} bytes, seed ${seed}) ...`);
    const g = await generate(dir, sizeBytes, seed);
    const pristine = totals(await scanTree(dir, { hash: false }));
    return { dir, pristine, fromCache: false, generateS: g.seconds, copyS: 0, generatorOutput: g.output };
  }

  mkdirSync(cacheDir, { recursive: true });
  const key = `corpus-${sizeBytes}-seed${seed}`;
  const cached = join(cacheDir, key);
  const stampPath = join(cacheDir, `${key}.json`);
  const genHash = generatorHash();
  for (const name of readdirSync(cacheDir)) {
    if (name !== key && name !== `${key}.json`) rmSync(join(cacheDir, name), { recursive: true, force: true });
  }

  let valid = false;
  if (existsSync(cached) && existsSync(stampPath)) {
    try {
      const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as CacheStamp;
      const fp = statFingerprint(await scanTree(cached, { hash: false }));
      valid = stamp.sizeBytes === sizeBytes && stamp.seed === seed && stamp.generatorSha256 === genHash && stamp.fingerprint === fp;
      if (!valid) log('cached corpus is stale or was modified: regenerating');
    } catch {
      valid = false;
    }
  }

  let generateS = 0;
  let generatorOutput = '';
  if (!valid) {
    rmSync(cached, { recursive: true, force: true });
    rmSync(stampPath, { force: true });
    const tmp = `${cached}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    log(`generating corpus (${sizeBytes} bytes, seed ${seed}) into the cache ...`);
    const g = await generate(tmp, sizeBytes, seed);
    generateS = g.seconds;
    generatorOutput = g.output;
    renameSync(tmp, cached);
    const m = await scanTree(cached, { hash: false });
    const stamp: CacheStamp = { sizeBytes, seed, generatorSha256: genHash, fingerprint: statFingerprint(m), totals: totals(m) };
    writeFileSync(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
  } else {
    log(`reusing cached corpus ${cached}`);
  }
  const copyS = await copyTree(cached, dir);
  const pristine = totals(await scanTree(dir, { hash: false }));
  return { dir, pristine, fromCache: valid, generateS, copyS, generatorOutput };
}

export interface MutationResult {
  output: string;
  /** The JSON edit log make-corpus prints, when it could be parsed. */
  log: Record<string, unknown> | null;
  seconds: number;
}

export async function mutateCorpus(dir: string, mutateSeed: number): Promise<MutationResult> {
  const t0 = performance.now();
  const r = await capture('python3', [MAKE_CORPUS, dir, '--mutate', String(mutateSeed)]);
  if (!succeeded(r)) throw new Error(`make-corpus --mutate failed: ${describeFailure(r)}`);
  const output = r.stdout.trim();
  let log: Record<string, unknown> | null = null;
  const m = /(\{.*\})/.exec(output);
  if (m?.[1]) {
    try {
      log = JSON.parse(m[1]) as Record<string, unknown>;
    } catch {
      log = null;
    }
  }
  return { output, log, seconds: (performance.now() - t0) / 1000 };
}
