// Directory trees for the benchmark: scanning (type, size, mtime, optional SHA-256),
// comparing a restored tree with the corpus, finding where a tool put the restored
// corpus under its --target, and measuring repository size on disk.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Entry {
  type: EntryType;
  size: number;
  mtimeMs: number;
  /** Allocated bytes (st_blocks * 512). */
  blockBytes: number;
  sha256: string | null;
}

/** Relative path ('/'-separated, no leading slash) -> entry; the root itself is left out. */
export type Manifest = Map<string, Entry>;

export interface TreeTotals {
  files: number;
  dirs: number;
  /** Sum of regular-file sizes: the logical bytes a backup tool has to read. */
  bytes: number;
}

const HASH_CONCURRENCY = 4;

export async function scanTree(root: string, opts: { hash: boolean }): Promise<Manifest> {
  const m: Manifest = new Map();
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const a = join(abs, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(a);
      const type: EntryType = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
      m.set(r, { type, size: type === 'file' ? st.size : 0, mtimeMs: st.mtimeMs, blockBytes: st.blocks * 512, sha256: null });
      if (type === 'dir') await walk(a, r);
    }
  };
  await walk(root, '');
  if (opts.hash) {
    const files = [...m.entries()].filter(([, e]) => e.type === 'file');
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const item = files[next++];
        if (item === undefined) return;
        item[1].sha256 = await sha256File(join(root, item[0]));
      }
    };
    await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  }
  return m;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (b) => h.update(b));
    s.on('error', reject);
    s.on('end', () => resolve(h.digest('hex')));
  });
}

export function totals(m: Manifest): TreeTotals {
  const t: TreeTotals = { files: 0, dirs: 0, bytes: 0 };
  for (const e of m.values()) {
    if (e.type === 'file') {
      t.files++;
      t.bytes += e.size;
    } else if (e.type === 'dir') t.dirs++;
  }
  return t;
}

/** A cheap fingerprint of names, sizes and mtimes (for validating a cached corpus). */
export function statFingerprint(m: Manifest): string {
  const h = createHash('sha256');
  for (const [rel, e] of m) h.update(`${rel}\0${e.type}\0${e.size}\0${Math.round(e.mtimeMs)}\n`);
  return h.digest('hex');
}

// ---------------------------------------------------------------- restore verification

export interface TreeDiff {
  expectedFiles: number;
  actualFiles: number;
  bytesCompared: number;
  /** Failures: any of these non-zero fails the benchmark. */
  missingFiles: number;
  extraFiles: number;
  typeMismatches: number;
  sizeMismatches: number;
  contentMismatches: number;
  /** Warnings only. */
  missingDirs: number;
  extraDirs: number;
  mtimeMismatches: number;
  mismatches: number;
  examples: string[];
}

export function compareTrees(expected: Manifest, actual: Manifest): TreeDiff {
  const d: TreeDiff = {
    expectedFiles: 0,
    actualFiles: 0,
    bytesCompared: 0,
    missingFiles: 0,
    extraFiles: 0,
    typeMismatches: 0,
    sizeMismatches: 0,
    contentMismatches: 0,
    missingDirs: 0,
    extraDirs: 0,
    mtimeMismatches: 0,
    mismatches: 0,
    examples: [],
  };
  const note = (msg: string): void => {
    if (d.examples.length < 20) d.examples.push(msg);
  };
  for (const e of actual.values()) if (e.type !== 'dir') d.actualFiles++;
  for (const [rel, exp] of expected) {
    if (exp.type !== 'dir') d.expectedFiles++;
    const act = actual.get(rel);
    if (act === undefined) {
      if (exp.type === 'dir') d.missingDirs++;
      else {
        d.missingFiles++;
        note(`missing: ${rel}`);
      }
      continue;
    }
    if (act.type !== exp.type) {
      d.typeMismatches++;
      note(`type ${exp.type} -> ${act.type}: ${rel}`);
      continue;
    }
    if (exp.type !== 'file') continue;
    if (act.size !== exp.size) {
      d.sizeMismatches++;
      note(`size ${exp.size} -> ${act.size}: ${rel}`);
      continue;
    }
    if (act.sha256 !== exp.sha256) {
      d.contentMismatches++;
      note(`content differs: ${rel}`);
      continue;
    }
    d.bytesCompared += act.size;
    if (Math.abs(act.mtimeMs - exp.mtimeMs) > 1) d.mtimeMismatches++;
  }
  for (const [rel, act] of actual) {
    if (expected.has(rel)) continue;
    if (act.type === 'dir') d.extraDirs++;
    else {
      d.extraFiles++;
      note(`extra: ${rel}`);
    }
  }
  d.mismatches = d.missingFiles + d.extraFiles + d.typeMismatches + d.sizeMismatches + d.contentMismatches;
  return d;
}

/**
 * Tools lay a restore out differently: restic recreates the absolute source path under
 * --target, others put the tree at the target itself or under the source's basename.
 * Returns the candidate holding the most of `probes` (files known to be in the corpus),
 * so one lost file can't send the verification to the wrong place.
 */
export function locateRestoredRoot(target: string, sourceAbs: string, probes: readonly string[]): string {
  const base = sourceAbs.split('/').filter(Boolean);
  const candidates = [target, join(target, ...base), join(target, base[base.length - 1] ?? '')];
  let best = target;
  let bestHits = 0;
  for (const c of candidates) {
    const hits = probes.filter((p) => existsSync(join(c, p))).length;
    if (hits > bestHits) {
      best = c;
      bestHits = hits;
    }
  }
  return best;
}

/** Up to n file paths spread evenly over the manifest, for locateRestoredRoot. */
export function probeFiles(m: Manifest, n = 25): string[] {
  const files = [...m.entries()].filter(([, e]) => e.type === 'file').map(([rel]) => rel);
  const step = Math.max(1, Math.floor(files.length / n));
  return files.filter((_, i) => i % step === 0).slice(0, n);
}

// ---------------------------------------------------------------- repository size

export interface DiskUsage {
  /** Sum of regular-file sizes (what `du -s --apparent-size -B1` counts, minus directory inodes). */
  apparentBytes: number;
  /** Allocated bytes of every entry incl. directories (what `du -s -B1` counts). */
  blockBytes: number;
  files: number;
}

export async function diskUsage(root: string): Promise<DiskUsage> {
  const u: DiskUsage = { apparentBytes: 0, blockBytes: statSync(root).blocks * 512, files: 0 };
  for (const e of (await scanTree(root, { hash: false })).values()) {
    u.blockBytes += e.blockBytes;
    if (e.type === 'file') {
      u.apparentBytes += e.size;
      u.files++;
    }
  }
  return u;
}
