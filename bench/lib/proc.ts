// Small process helpers for the benchmark's untimed work (corpus generation, version
// probes, repository info): run a command and capture its output. Timed steps go
// through measure.ts instead.
import { spawn } from 'node:child_process';

export interface Captured {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (ENOENT...). */
  spawnError: string | null;
}

export interface CaptureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Also copy the child's stdout/stderr to ours, for long untimed steps. */
  echo?: boolean;
}

export function capture(cmd: string, args: readonly string[], opts: CaptureOptions = {}): Promise<Captured> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: string | null = null;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
    });
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (opts.echo) process.stdout.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      if (opts.echo) process.stderr.write(b);
    });
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        spawnError,
      });
    });
  });
}

export function succeeded(c: Captured): boolean {
  return c.spawnError === null && c.code === 0;
}

export function describeFailure(c: Captured): string {
  if (c.spawnError !== null) return c.spawnError;
  const tail = (c.stderr.trim() || c.stdout.trim()).split('\n').slice(-5).join('\n');
  return `exit ${c.code ?? `signal ${c.signal ?? '?'}`}${tail ? `: ${tail}` : ''}`;
}
