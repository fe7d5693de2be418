// Runs one timed benchmark step and owns its measurements: wall time (monotonic clock
// around the process), user+sys CPU of the whole waited-for process tree (GNU time
// %U/%S) and peak RSS (the larger of GNU time %M, which is the biggest single process,
// and a /proc sample of the summed RSS of all descendants, taken every 50 ms), plus
// page-cache dropping for --cold, and how busy the rest of the machine was meanwhile
// (CPU used by other processes, from /proc/stat) so noisy figures can be flagged.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
const TIME_FORMAT = '%e %U %S %M';
const SAMPLE_MS = 50;

export interface RunSpec {
  /** File-name friendly, e.g. "restic-backup1". */
  label: string;
  cmd: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logDir: string;
}

export interface Measurement {
  command: string;
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  /** Monotonic wall time from spawn to exit, seconds. */
  wallS: number;
  /** GNU time %e, seconds (2 decimals), as a cross-check of wallS. */
  timeWallS: number | null;
  userS: number;
  sysS: number;
  cpuS: number;
  /** GNU time %M: max RSS of the largest single process of the tree, KiB. */
  maxRssKiB: number;
  /** Largest sampled sum of VmRSS over all descendants, KiB (lower bound, 50 ms samples). */
  treePeakRssKiB: number;
  /** max(maxRssKiB, treePeakRssKiB) in MiB: the figure reported. */
  peakRssMiB: number;
  maxProcesses: number;
  /**
   * CPU seconds used by everything else on the machine during the step (all busy
   * jiffies incl. steal, minus this tree and the harness), as % of wall x cores.
   */
  backgroundCpuPct: number | null;
  stdoutPath: string;
  stderrPath: string;
  error: string | null;
}

export function gnuTimeAvailable(): boolean {
  try {
    execFileSync(GNU_TIME, ['-f', '%e', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- process tree RSS

const useChildrenFile = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const part of text.split(' ')) {
      const n = Number(part);
      if (part !== '' && Number.isInteger(n)) out.push(n);
    }
  }
  return out;
}

/** Fallback without CONFIG_PROC_CHILDREN: one pass over /proc/<pid>/stat. */
function parentMap(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ... ; comm may contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    const list = kids.get(ppid) ?? [];
    list.push(Number(name));
    kids.set(ppid, list);
  }
  return kids;
}

function descendants(root: number): number[] {
  const out: number[] = [];
  const map = useChildrenFile ? null : parentMap();
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop();
    if (pid === undefined) break;
    for (const c of map ? (map.get(pid) ?? []) : childrenOf(pid)) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- machine load

const USER_HZ = 100;

/** Busy CPU seconds of the whole machine so far (user+nice+system+irq+softirq+steal). */
function machineBusyS(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / USER_HZ;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- GNU time output

interface TimeFigures {
  wallS: number;
  userS: number;
  sysS: number;
  maxRssKiB: number;
}

function parseTimeFile(path: string): TimeFigures | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  // On failure GNU time first writes "Command exited with non-zero status N".
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)$/.exec(line.trim());
    if (m) return { wallS: Number(m[1]), userS: Number(m[2]), sysS: Number(m[3]), maxRssKiB: Number(m[4]) };
  }
  return null;
}

// ---------------------------------------------------------------- run

export function runMeasured(spec: RunSpec): Promise<Measurement> {
  const stdoutPath = join(spec.logDir, `${spec.label}.stdout`);
  const stderrPath = join(spec.logDir, `${spec.label}.stderr`);
  const timePath = join(spec.logDir, `${spec.label}.time`);
  rmSync(timePath, { force: true });
  const outFd = openSync(stdoutPath, 'w');
  const errFd = openSync(stderrPath, 'w');
  const command = [spec.cmd, ...spec.args].join(' ');
  return new Promise((resolve) => {
    let spawnError: string | null = null;
    let treePeak = 0;
    let maxProcs = 0;
    const busy0 = machineBusyS();
    const self0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-f', TIME_FORMAT, '-o', timePath, '--', spec.cmd, ...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', outFd, errFd],
    });
    const sample = (): void => {
      if (child.pid === undefined) return;
      const pids = descendants(child.pid);
      let sum = 0;
      for (const p of pids) sum += rssKiB(p);
      if (sum > treePeak) treePeak = sum;
      if (pids.length > maxProcs) maxProcs = pids.length;
    };
    const timer = setInterval(sample, SAMPLE_MS);
    setImmediate(sample);
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      const busy1 = machineBusyS();
      const self = process.cpuUsage(self0);
      clearInterval(timer);
      closeSync(outFd);
      closeSync(errFd);
      const tf = parseTimeFile(timePath);
      const maxRssKiB = tf?.maxRssKiB ?? 0;
      const peakKiB = Math.max(maxRssKiB, treePeak);
      let error = spawnError;
      if (error === null && code !== 0) {
        const tail = safeTail(stderrPath) || safeTail(timePath);
        error = `exit ${code ?? `signal ${signal ?? '?'}`}${tail ? `: ${tail}` : ''}`;
      }
      if (error === null && tf === null) error = 'no GNU time figures';
      let backgroundCpuPct: number | null = null;
      if (busy0 !== null && busy1 !== null && tf !== null && wallS > 0) {
        const foreign = busy1 - busy0 - tf.userS - tf.sysS - (self.user + self.system) / 1e6;
        backgroundCpuPct = Math.max(0, (100 * foreign) / (wallS * cpus().length));
      }
      resolve({
        command,
        ok: error === null,
        exitCode: code,
        signal,
        wallS,
        timeWallS: tf?.wallS ?? null,
        userS: tf?.userS ?? 0,
        sysS: tf?.sysS ?? 0,
        cpuS: (tf?.userS ?? 0) + (tf?.sysS ?? 0),
        maxRssKiB,
        treePeakRssKiB: treePeak,
        peakRssMiB: peakKiB / 1024,
        maxProcesses: maxProcs,
        backgroundCpuPct,
        stdoutPath,
        stderrPath,
        error,
      });
    });
  });
}

function safeTail(path: string, lines = 6): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- page cache

export const DROP_CACHES = '/proc/sys/vm/drop_caches';

/** Flushes dirty pages (always, untimed, so one step's writeback never lands in the next). */
export function syncDisks(): void {
  try {
    execFileSync('sync', [], { stdio: 'ignore' });
  } catch {
    // best effort
  }
}

/** sync; echo 3 > /proc/sys/vm/drop_caches. Returns null on success, else the reason. */
export function dropCaches(): string | null {
  syncDisks();
  try {
    writeFileSync(DROP_CACHES, '3\n');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
