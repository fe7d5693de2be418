// Runs the built `strata` binary (bin/strata.js -> dist/strata.mjs) as a real process.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

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
