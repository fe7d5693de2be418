// Crash safety: real `strata backup` processes are SIGKILLed at random moments;
// after each kill `check` passes, and a final backup completes and restores
// byte for byte. Also: two backups running at once on one repository.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, snapshotOfDisk, tempDir } from '../helpers';
import { cliEnv, runCli, startCli } from './run-cli';

let dir: { path: string; cleanup: () => Promise<void> };
let source: string;

beforeAll(async () => {
  dir = await tempDir('strata-crash-');
  source = join(dir.path, 'course');
  for (let d = 0; d < 4; d++) {
    await mkdir(join(source, `module-${d}`), { recursive: true });
    for (let f = 0; f < 12; f++) {
      const size = ((d * 12 + f) % 5) * 256 * 1024 + 1000;
      await writeFile(join(source, `module-${d}`, `file-${f}.bin`), seededBytes(d * 100 + f + 1, size));
    }
    await writeFile(join(source, `module-${d}`, 'video.mp4'), seededBytes(d + 1000, 9 * 1024 * 1024));
  }
});
afterAll(async () => {
  await dir.cleanup();
});

/** A seeded sequence of kill delays, so a failure can be reproduced. */
function delays(seed: number, count: number, maxMs: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(40 + (x % maxMs));
  }
  return out;
}

describe('crash safety', () => {
  it('survives SIGKILL at random moments of a backup', async () => {
    const repo = join(dir.path, 'repo');
    const env = cliEnv(repo);
    expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
    let killed = 0;
    for (const delay of delays(20261128, 16, 700)) {
      const { child, result } = startCli(['backup', source, '--quiet'], env);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const outcome = await result;
      clearTimeout(timer);
      if (outcome.signal === 'SIGKILL') killed++;
      else expect(outcome.code, outcome.stderr).toBe(0);
      const check = await runCli(['check'], env);
      expect(check.code, `check after a kill at ${delay} ms: ${check.stderr}`).toBe(0);
    }
    expect(killed).toBeGreaterThan(5);

    const final = await runCli(['backup', source, '--json'], env);
    expect(final.code, final.stderr).toBe(0);
    const check = await runCli(['check', '--read-data'], env);
    expect(check.code, check.stderr).toBe(0);
    const target = join(dir.path, 'restored');
    expect((await runCli(['restore', 'latest', '--target', target], env)).code).toBe(0);
    expect(await snapshotOfDisk(join(target, 'course'))).toEqual(await snapshotOfDisk(source));
  });

  it('lets two backups run at once on one repository', async () => {
    const repo = join(dir.path, 'repo-concurrent');
    const env = cliEnv(repo);
    expect((await runCli(['init', '--kdf-n', '1024'], env)).code).toBe(0);
    const [a, b] = await Promise.all([
      runCli(['backup', join(source, 'module-0'), join(source, 'module-1'), '--json'], env),
      runCli(['backup', join(source, 'module-1'), join(source, 'module-2'), '--json'], env),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const check = await runCli(['check', '--read-data'], env);
    expect(check.code, check.stderr).toBe(0);
    const snapshots = JSON.parse((await runCli(['snapshots', '--json'], env)).stdout) as unknown[];
    expect(snapshots).toHaveLength(2);
    const target = join(dir.path, 'restored-concurrent');
    expect((await runCli(['restore', 'latest', '--target', target], env)).code).toBe(0);
  });
});
