// Runs the built `strata` binary (bin/strata.js -> dist/strata.mjs) as a real process.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const STRATA_BIN = join(__dirname, '..', '..', 'bin', 'strata.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cliEnv(repo: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.STRATA_PASSPHRASE_FILE;
  delete env.STRATA_NEW_PASSPHRASE;
  delete env.STRATA_DEBUG;
  return { ...env, STRATA_REPO: repo, STRATA_PASSPHRASE: 'test passphrase', ...extra };
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [STRATA_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).result;
}

/** Runs `strata args` and expects it to succeed: exit 0 (its stderr in the message otherwise) and no stack trace. */
export async function runOk(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const run = await runCli(args, env);
  expect(run.stderr.includes('\n    at ') ? run.stderr : '').toBe('');
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run;
}

/** Two devices under `root`: Ada's repository A and Bob's B, and the paths of their course folders (not made here). */
export function twoDevices(root: string): { envA: NodeJS.ProcessEnv; envB: NodeJS.ProcessEnv; courseA: string; courseB: string } {
  return {
    envA: cliEnv(join(root, 'A'), { STRATA_AUTHOR: 'Ada <ada@example.org>' }),
    envB: cliEnv(join(root, 'B'), { STRATA_AUTHOR: 'Bob <bob@example.org>' }),
    courseA: join(root, 'course-A'),
    courseB: join(root, 'course-B'),
  };
}

/** Device A adds the folder remote `root`/remote and syncs to it; device B clones from it. */
export async function shareThroughRemote(root: string, envA: NodeJS.ProcessEnv, envB: NodeJS.ProcessEnv): Promise<void> {
  const remote = join(root, 'remote');
  await runOk(['remote', 'add', 'disk', '--hot', remote], envA);
  await runOk(['sync'], envA);
  await runOk(['clone', `file://${remote}`], envB);
}
