// Benchmark of version history (engine/versions), run by `npm run bench`
// after the restic comparison, or alone:
//
//   node --import tsx bench/versions.ts [--edits 1000] [--files 10000]
//
// 1. Version economy: a 100 KB Markdown file edited 1,000 times, a sentence
//    each (inserted at a random place), one scan per edit. Prints repository
//    growth per edit (target: under 1 KiB on average; `local/` is this
//    machine's state, not repository data, and is left out), time per version,
//    and time to rebuild the oldest and the newest version.
// 2. A course folder of 10,000 files: time of a scan when nothing changed
//    (target: under 1 s) and when 100 files changed.
// Timings are in-process wall clock (performance.now) on a warm page cache.

import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { defaultKdfParams } from '../src/engine/crypto/kdf';
import { initRepositoryAt } from '../src/engine/repo/location';
import { addFolder, scan } from '../src/engine/ops/folders';
import { content, version } from '../src/engine/ops/history';
import { Session } from '../src/engine/ops/session';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EDITS = option('--edits', 1000);
const FILES = option('--files', 10_000);

/** A small seeded generator (xorshift32), so every run edits the same way. */
function rng(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const WORDS = 'the wave energy lesson course module student exercise data learn sound light frequency amplitude medium quiz answer question example chapter section review'.split(' ');
function sentence(next: (n: number) => number): string {
  const words = Array.from({ length: 6 + next(12) }, () => WORDS[next(WORDS.length)] as string);
  const first = words[0] as string;
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${words.join(' ')}.`;
}

function markdown(next: (n: number) => number, bytes: number): string {
  const parts = ['# Waves and sound', ''];
  let size = 0;
  while (size < bytes) {
    const block = next(8) === 0 ? `## ${sentence(next)}` : Array.from({ length: 2 + next(6) }, () => sentence(next)).join(' ');
    parts.push(block, '');
    size += block.length + 2;
  }
  return parts.join('\n');
}

async function dirBytes(dir: string, skip: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === skip) continue;
    if (entry.isDirectory()) total += await dirBytes(path, skip);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

async function settle(path: string, ageMs: number): Promise<void> {
  const t = (Date.now() - ageMs) / 1000;
  await utimes(path, t, t);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function versionEconomy(root: string): Promise<void> {
  const repoDir = join(root, 'repo-economy');
  const folder = join(root, 'economy');
  await mkdir(folder, { recursive: true });
  const repo = await initRepositoryAt(repoDir, 'bench', { kdf: { ...defaultKdfParams(), N: 1024 } });
  const session = Session.of(repo, repoDir);
  const next = rng(42);
  let text = markdown(next, 100 * 1024);
  const file = join(folder, 'lesson.md');
  await writeFile(file, text);
  await settle(file, 10_000_000);
  await addFolder(session, folder);
  await scan(session, [], { settleMs: 0 });
  const skip = join(repoDir, 'local');
  const start = await dirBytes(repoDir, skip);
  const times: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    // A sentence inserted after a random sentence end (or at the very end).
    const ends = [...text.matchAll(/\. /g)].map((m) => (m.index ?? 0) + 2);
    const at = ends.length > 0 ? (ends[next(ends.length)] as number) : text.length;
    text = `${text.slice(0, at)}${sentence(next)} ${text.slice(at)}`;
    await writeFile(file, text);
    await settle(file, 10_000_000 - (i + 1) * 1000); // a distinct mtime per edit
    const t0 = performance.now();
    const result = await scan(session, [], { settleMs: 0 });
    times.push(performance.now() - t0);
    if (result.versions.length !== 1) throw new Error(`edit ${i}: expected one version, got ${result.versions.length}`);
  }
  const end = await dirBytes(repoDir, skip);
  const rebuild = async (n: number): Promise<number> => {
    const fresh = Session.of(repo, repoDir);
    const record = await version(fresh, file, n); // the history loaded first: not part of the rebuild
    const t0 = performance.now();
    let bytes = 0;
    for await (const piece of content(fresh, record)) bytes += piece.length;
    if (bytes !== record.size) throw new Error('rebuilt size differs');
    return performance.now() - t0;
  };
  const oldest = await rebuild(1);
  const newest = await rebuild(EDITS + 1);
  console.log(`version economy: ${EDITS} one-sentence edits of a ${(Buffer.byteLength(markdown(rng(42), 100 * 1024)) / 1024).toFixed(0)} KiB Markdown file, one scan each`);
  console.log(`  repository growth per edit: ${((end - start) / EDITS).toFixed(0)} bytes on average (target < 1024)`);
  console.log(`  time per version (scan of the edit): median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
  console.log(`  rebuild: oldest version ${oldest.toFixed(1)} ms, newest (version ${EDITS + 1}) ${newest.toFixed(1)} ms`);
}

async function bigFolder(root: string): Promise<void> {
  const repoDir = join(root, 'repo-folder');
  const folder = join(root, 'course');
  const next = rng(7);
  const paths: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const dir = join(folder, `module-${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    const path = join(dir, `lesson-${String(i % 100).padStart(2, '0')}.md`);
    await writeFile(path, `# Lesson ${i}\n\n${Array.from({ length: 5 + next(20) }, () => sentence(next)).join(' ')}\n`);
    await settle(path, 60_000);
    paths.push(path);
  }
  const repo = await initRepositoryAt(repoDir, 'bench', { kdf: { ...defaultKdfParams(), N: 1024 } });
  const session = Session.of(repo, repoDir);
  await addFolder(session, folder);
  let t0 = performance.now();
  const first = await scan(session, [], { settleMs: 0 });
  const firstMs = performance.now() - t0;
  const unchangedMs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const fresh = Session.of(repo, repoDir); // as a new `strata scan` process would (history loaded)
    await fresh.versions();
    t0 = performance.now();
    const r = await scan(fresh, [], { settleMs: 0 });
    unchangedMs.push(performance.now() - t0);
    if (r.versions.length !== 0) throw new Error('unchanged scan recorded versions');
  }
  for (let i = 0; i < 100; i++) {
    const path = paths[(i * 97) % paths.length] as string;
    await writeFile(path, `# Lesson edited ${i}\n\n${sentence(next)}\n`);
    await settle(path, 30_000);
  }
  const fresh = Session.of(repo, repoDir);
  await fresh.versions();
  t0 = performance.now();
  const changed = await scan(fresh, [], { settleMs: 0 });
  const changedMs = performance.now() - t0;
  t0 = performance.now();
  await Session.of(repo, repoDir).versions();
  const loadMs = performance.now() - t0;
  // The whole command, as a user runs it (process start, key derivation of this test repository's
  // cheap KDF, history, scan): the default KDF adds about half a second to every command.
  const cliMs: number[] = [];
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    const run = spawnSync(process.execPath, [join(projectRoot, 'bin', 'strata.js'), 'scan', '--settle', '0'], { env: { ...process.env, STRATA_REPO: repoDir, STRATA_PASSPHRASE: 'bench' }, encoding: 'utf8' });
    cliMs.push(performance.now() - t);
    if (run.status !== 0 || !/no changes/.test(run.stdout)) throw new Error(`strata scan failed: ${run.stderr}`);
  }
  console.log(`course folder of ${FILES} files (${first.versions.length} recorded by the first scan in ${(firstMs / 1000).toFixed(2)} s):`);
  console.log(`  \`strata scan\` command, nothing changed: median ${median(cliMs).toFixed(0)} ms of 3 (cheap test KDF; the default scrypt adds ~0.5 s)`);
  console.log(`  scan, nothing changed: median ${median(unchangedMs).toFixed(0)} ms of 5 (target < 1000 ms), plus ${loadMs.toFixed(0)} ms to load the history`);
  console.log(`  scan, 100 files changed: ${changedMs.toFixed(0)} ms (${changed.versions.length} versions)`);
}

const root = await mkdtemp(join(tmpdir(), 'strata-bench-versions-'));
process.env.STRATA_STATE_HOME ??= join(root, 'state-home'); // the repositories' machine state goes with them, not into ~
try {
  await versionEconomy(root);
  await bigFolder(root);
} finally {
  await rm(root, { recursive: true, force: true });
}
process.exit(0); // the blob worker pool would otherwise idle for a second
