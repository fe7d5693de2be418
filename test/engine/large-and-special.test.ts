// Files of several GiB (past every 32-bit offset) and special files.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Repository } from '../../src/engine/repo/repository';
import { LocalBackend } from '../../src/engine/storage/local';
import { backup } from '../../src/engine/snapshot/archiver';
import { restore } from '../../src/engine/snapshot/restorer';
import { fastKdf, seededBytes, tempDir } from '../helpers';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const block of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })) hash.update(block as Buffer);
  return hash.digest('hex');
}

const GiB = 1024 * 1024 * 1024;

describe('large and special files', () => {
  it('backs up and restores a 4.5 GiB file byte for byte', { timeout: 300_000 }, async () => {
    const source = join(dir.path, 'src');
    await mkdir(source);
    const path = join(source, 'huge.mov');
    // Sparse, with distinct random regions before and after the 4 GiB mark.
    const handle = await open(path, 'w');
    const size = 4.5 * GiB;
    for (const [at, seed] of [[0, 1], [1.5 * GiB, 2], [4 * GiB - 1000, 3], [4.25 * GiB, 4], [size - 2_000_000, 5]] as const) {
      await handle.write(seededBytes(seed, 2_000_000), 0, 2_000_000, at);
    }
    await handle.close();
    expect((await stat(path)).size).toBe(size);

    const repo = await Repository.init(await LocalBackend.create(join(dir.path, 'repo')), 'pw', { kdf: fastKdf() });
    const result = await backup(repo, { paths: [source] });
    expect(result.snapshot.stats.bytes).toBe(size);
    const target = join(dir.path, 'restored');
    await restore(repo, result.snapshot, { target });
    const restored = join(target, 'src', 'huge.mov');
    expect((await stat(restored)).size).toBe(size);
    expect(await sha256(restored)).toBe(await sha256(path));
  });

  it('skips FIFOs with a warning and backs up the rest', async () => {
    const source = join(dir.path, 'src');
    await mkdir(source);
    await writeFile(join(source, 'normal.txt'), 'hello');
    execFileSync('mkfifo', [join(source, 'pipe')]);
    const repo = await Repository.init(await LocalBackend.create(join(dir.path, 'repo')), 'pw', { kdf: fastKdf() });
    const warnings: string[] = [];
    const result = await backup(repo, { paths: [source], onWarning: (path, message) => warnings.push(`${path}: ${message}`) });
    expect(result.warnings).toBe(1);
    expect(warnings[0]).toMatch(/pipe: skipped/);
    const target = join(dir.path, 'restored');
    await restore(repo, result.snapshot, { target });
    expect(await readdir(join(target, 'src'))).toEqual(['normal.txt']);
  });
});
