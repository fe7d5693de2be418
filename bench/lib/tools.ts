// The two tools under comparison, behind one adapter shape: how to find them, their
// version, environment (repository + password), the argument lists of each benchmark
// step, how to read a backup's summary, and untimed repository facts (restic's
// repository format version and so whether it compresses).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ToolName } from './args';
import { capture, describeFailure, succeeded } from './proc';

export const PASSWORD = 'strata-bench-password';

export interface ToolAdapter {
  name: ToolName;
  available: boolean;
  /** Why the tool can't run, when !available. */
  reason: string | null;
  version: string | null;
  cmd: string;
  cwd: string;
  env(repo: string): NodeJS.ProcessEnv;
  initArgs(): string[];
  backupArgs(dir: string): string[];
  restoreArgs(target: string): string[];
  checkArgs(): string[];
  parseBackupSummary(stdout: string): unknown;
  /** Untimed facts about the repository after the last backup. */
  repoInfo(repo: string): Promise<Record<string, unknown>>;
}

/** RESTIC_* / STRATA_* variables inherited from the caller (they can change results). */
export function inheritedToolEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || !/^(RESTIC|STRATA)_/.test(k)) continue;
    out[k] = /PASS|PASSWORD|KEY|SECRET|TOKEN/.test(k) ? '<redacted>' : v;
  }
  return out;
}

function lastJson(stdout: string, pick?: (v: Record<string, unknown>) => boolean): unknown {
  const whole = stdout.trim();
  if (whole === '') return null;
  try {
    const v: unknown = JSON.parse(whole);
    if (pick === undefined) return v;
  } catch {
    // one JSON document per line, below
  }
  const lines = whole.split('\n').reverse();
  for (const line of lines) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as Record<string, unknown>;
      if (pick === undefined || pick(v)) return v;
    } catch {
      continue;
    }
  }
  return null;
}

export async function strataAdapter(projectRoot: string): Promise<ToolAdapter> {
  // BENCH_STRATA_BIN: benchmark another build of the CLI (any script `node` can run).
  const bin = process.env.BENCH_STRATA_BIN ?? join(projectRoot, 'bin', 'strata.js');
  let available = existsSync(bin);
  let reason: string | null = available ? null : `${bin} not found`;
  let version: string | null = null;
  if (available) {
    // A CLI that answers neither --version nor --help can't be benchmarked (e.g. not built).
    const v = await capture(process.execPath, [bin, '--version'], { cwd: projectRoot, timeoutMs: 30_000 });
    if (succeeded(v)) version = v.stdout.trim().split('\n')[0] || null;
    else {
      const h = await capture(process.execPath, [bin, '--help'], { cwd: projectRoot, timeoutMs: 30_000 });
      if (!succeeded(h)) {
        available = false;
        reason = `node ${bin} does not run (${describeFailure(v)})`;
      }
    }
  }
  return {
    name: 'strata',
    available,
    reason,
    version,
    cmd: process.execPath,
    cwd: projectRoot,
    // init takes its passphrase from STRATA_NEW_PASSPHRASE, the other commands from STRATA_PASSPHRASE.
    env: (repo) => ({ ...process.env, ...benchStateHome(repo), STRATA_REPO: repo, STRATA_PASSPHRASE: PASSWORD, STRATA_NEW_PASSPHRASE: PASSWORD }),
    initArgs: () => [bin, 'init'],
    backupArgs: (dir) => [bin, 'backup', dir, '--json'],
    restoreArgs: (target) => [bin, 'restore', 'latest', '--target', target],
    checkArgs: () => [bin, 'check', '--read-data'],
    parseBackupSummary: (stdout) => lastJson(stdout),
    repoInfo: async (repo) => {
      const env = { ...process.env, ...benchStateHome(repo), STRATA_REPO: repo, STRATA_PASSPHRASE: PASSWORD };
      const st = await capture(process.execPath, [bin, 'stats', '--json'], { cwd: projectRoot, env, timeoutMs: 300_000 });
      if (!succeeded(st)) return { stats: `strata stats failed: ${describeFailure(st)}` };
      return { stats: lastJson(st.stdout) ?? st.stdout.trim() };
    },
  };
}

export async function resticAdapter(projectRoot: string, workDir: string): Promise<ToolAdapter> {
  // BENCH_RESTIC: another restic binary (default: restic from PATH).
  const restic = process.env.BENCH_RESTIC ?? 'restic';
  const v = await capture(restic, ['version'], { timeoutMs: 30_000 });
  const available = succeeded(v);
  const cacheDir = join(workDir, 'restic-cache');
  const env = (repo: string): NodeJS.ProcessEnv => ({
    ...process.env,
    RESTIC_REPOSITORY: repo,
    RESTIC_PASSWORD: PASSWORD,
    // A private cache, wiped with the work dir, so no state leaks between runs.
    RESTIC_CACHE_DIR: cacheDir,
  });
  return {
    name: 'restic',
    available,
    reason: available ? null : `restic is not installed (${describeFailure(v)})`,
    version: available ? v.stdout.trim() : null,
    cmd: restic,
    cwd: projectRoot,
    env,
    initArgs: () => ['init'],
    backupArgs: (dir) => ['backup', dir, '--json'],
    restoreArgs: (target) => ['restore', 'latest', '--target', target],
    checkArgs: () => ['check', '--read-data'],
    parseBackupSummary: (stdout) => lastJson(stdout, (o) => o.message_type === 'summary'),
    repoInfo: async (repo) => {
      const info: Record<string, unknown> = {};
      const cfg = await capture(restic, ['cat', 'config'], { env: env(repo) });
      if (succeeded(cfg)) {
        try {
          const c = JSON.parse(cfg.stdout) as { version?: number };
          info.repositoryVersion = c.version ?? null;
          info.compression =
            (c.version ?? 1) >= 2 ? `yes (repository v2, mode ${process.env.RESTIC_COMPRESSION ?? 'auto'})` : 'no (repository v1)';
        } catch {
          info.config = cfg.stdout.trim();
        }
      }
      const stats = await capture(restic, ['stats', '--mode', 'raw-data', '--json'], { env: env(repo) });
      if (succeeded(stats)) {
        try {
          info.rawDataStats = JSON.parse(stats.stdout) as unknown;
        } catch {
          info.rawDataStats = stats.stdout.trim();
        }
      }
      return info;
    },
  };
}

/** Strata's machine state of the benchmark's repositories: beside them in the work folder, not in the user's state home. */
function benchStateHome(repo: string): { STRATA_STATE_HOME: string } {
  return { STRATA_STATE_HOME: process.env.STRATA_STATE_HOME ?? join(dirname(repo), 'strata-state') };
}
