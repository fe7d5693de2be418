// Deterministic crashes for CLI tests: a `strata` process started with
// STRATA_TEST_CRASH_AT SIGKILLs itself at the chosen object write
// (src/engine/storage/crash-point.ts), so every kill lands, at a known moment,
// however fast or loaded the machine is. No test here waits on a timer.

import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import type { CliResult } from './run-cli';
import { runCli } from './run-cli';

/** `env` with the crash point `spec` (put:N[:before|mid|after][:PREFIX]). */
export function crashAt(env: NodeJS.ProcessEnv, spec: string): NodeJS.ProcessEnv {
  return { ...env, STRATA_TEST_CRASH_AT: spec };
}

/** Runs the CLI with a crash point and asserts that it died there (by its own SIGKILL, not by finishing first). */
export async function runUntilCrash(args: string[], env: NodeJS.ProcessEnv, spec: string): Promise<CliResult> {
  const result = await runCli(args, crashAt(env, spec));
  expect(result.signal, `strata ${args.join(' ')} with crash point ${spec} was not killed there (exit ${result.code}): ${result.stderr}`).toBe('SIGKILL');
  return result;
}

/** Object files of a local repository or folder remote (relative paths, sorted): no temp files, nothing of local/. */
export async function objectFiles(dir: string): Promise<string[]> {
  return (await filesUnder(dir)).filter((f) => !f.startsWith('local/') && !isTempFile(f)).sort();
}

/** Temp files a put killed between writing and renaming left behind. */
export async function tempFiles(dir: string): Promise<string[]> {
  return (await filesUnder(dir)).filter(isTempFile);
}

function isTempFile(file: string): boolean {
  return /(^|\/)\.tmp-[0-9a-f]{16}~$/.test(file);
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A seeded sequence in [1, max], so a failing randomised run can be repeated exactly. */
export function seededPicks(seed: number, count: number, max: number): number[] {
  let x = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(1 + ((x >>> 8) % max));
  }
  return out;
}
