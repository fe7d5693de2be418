// `npm run bench`: Strata's CLI against restic on one generated corpus, in one run.
// Owns the orchestration: work dir, corpus, per-tool init / backup 1 / (one shared
// edit round) / backup 2 / restore + verification / check --read-data, the printed
// report and bench/.work/results.json. Measuring, trees, tools and formatting live in
// bench/lib. Exit status: 0 = ran and every restore verified; 1 = a step failed or a
// restore differs; 2 = usage or environment error. Missed targets do not fail the run.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, UsageError, parseArgs, type BenchOptions, type ToolName } from './lib/args';
import { mutateCorpus, prepareCorpus, MAKE_CORPUS } from './lib/corpus';
import { DROP_CACHES, dropCaches, gnuTimeAvailable, runMeasured, syncDisks, GNU_TIME } from './lib/measure';
import {
  STEPS,
  computeTargets,
  repoTable,
  stepTable,
  targetLines,
  verifyLine,
  type StepName,
  type StepResult,
  type ToolResult,
} from './lib/report';
import { inheritedToolEnv, resticAdapter, strataAdapter, type ToolAdapter } from './lib/tools';
import { compareTrees, diskUsage, locateRestoredRoot, probeFiles, scanTree, totals, type Manifest, type TreeTotals } from './lib/tree';

const MiB = 1024 * 1024;
/** Warn when other processes took more than this share of the CPU during a timed step. */
const BUSY_WARN_PCT = 10;
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(projectRoot, 'bench', '.work');
const cacheDir = join(workDir, 'cache');
const logDir = join(workDir, 'logs');
const resultsPath = join(workDir, 'results.json');
const LOCK_NAME = 'run.lock';
const lockPath = join(workDir, LOCK_NAME);

const log = (msg: string): void => {
  process.stdout.write(`[bench] ${msg}\n`);
};
const loud = (msg: string): void => {
  const bar = '!'.repeat(78);
  process.stdout.write(`\n${bar}\n!! ${msg}\n${bar}\n\n`);
};

class EnvError extends Error {}

interface Run {
  coldNote: string;
  cacheDropped: boolean;
}

/** One run at a time per checkout: a second one would wipe the first one's work dir. */
function takeLock(): void {
  mkdirSync(workDir, { recursive: true });
  if (existsSync(lockPath)) {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    let alive = false;
    try {
      if (Number.isInteger(pid) && pid > 0) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch {
      alive = false;
    }
    if (alive) throw new EnvError(`another benchmark run (pid ${pid}) is using ${workDir}`);
  }
  writeFileSync(lockPath, `${process.pid}\n`);
  process.on('exit', () => rmSync(lockPath, { force: true }));
}

function wipeWorkDir(keepCache: boolean): void {
  mkdirSync(workDir, { recursive: true });
  for (const name of readdirSync(workDir)) {
    if (name === LOCK_NAME || (keepCache && name === 'cache')) continue;
    rmSync(join(workDir, name), { recursive: true, force: true });
  }
  mkdirSync(logDir, { recursive: true });
}

function checkDiskSpace(opts: BenchOptions, ntools: number): void {
  // corpus copy + pristine cache + one repo per tool (~corpus size) + restores
  // (one at a time unless --keep), plus 10% slack.
  const factor = (opts.useCache ? 1 : 0) + 1 + ntools + (opts.keep ? ntools : 1);
  const need = opts.sizeBytes * factor * 1.1;
  const st = statfsSync(workDir);
  const avail = st.bavail * st.bsize;
  if (avail < need) {
    throw new EnvError(
      `not enough disk in ${workDir}: ${(avail / 2 ** 30).toFixed(1)} GiB free, ~${(need / 2 ** 30).toFixed(1)} GiB needed ` +
        `(${factor}x corpus + 10%); try a smaller --size${opts.useCache ? ' or --no-cache' : ''}`,
    );
  }
}

function newToolResult(t: ToolAdapter, repo: string): ToolResult {
  return {
    name: t.name,
    ran: true,
    skippedReason: null,
    version: t.version,
    repo,
    steps: {},
    repoSize: {},
    backupSummary: {},
    restoredRoot: null,
    verify: null,
    repoInfo: {},
    failures: [],
  };
}

async function timedStep(
  run: Run,
  tool: ToolAdapter,
  res: ToolResult,
  step: StepName,
  args: string[],
  logicalBytes: number | null,
): Promise<StepResult> {
  let dropped = false;
  if (run.cacheDropped) dropped = dropCaches() === null;
  else syncDisks();
  log(`${tool.name}: ${step} ...`);
  const m = await runMeasured({ label: `${tool.name}-${step}`, cmd: tool.cmd, args, cwd: tool.cwd, env: tool.env(res.repo), logDir });
  const r: StepResult = {
    ...m,
    logicalBytes,
    mibPerS: logicalBytes === null || m.wallS <= 0 ? null : logicalBytes / MiB / m.wallS,
    cacheDropped: dropped,
  };
  res.steps[step] = r;
  if (r.ok) {
    log(
      `${tool.name}: ${step} ${r.wallS.toFixed(2)} s wall, ${r.cpuS.toFixed(2)} s CPU, ${r.peakRssMiB.toFixed(1)} MiB peak RSS` +
        (r.mibPerS === null ? '' : `, ${r.mibPerS.toFixed(1)} MiB/s`) +
        (r.backgroundCpuPct === null ? '' : ` (other processes: ${r.backgroundCpuPct.toFixed(0)}% CPU)`),
    );
  } else {
    res.failures.push(`${step}: ${r.error ?? 'failed'}`);
    loud(`${tool.name} ${step} FAILED: ${r.error ?? ''}\n!! command: ${r.command}\n!! logs: ${r.stderrPath}`);
  }
  return r;
}

async function readSummary(tool: ToolAdapter, r: StepResult): Promise<unknown> {
  try {
    return tool.parseBackupSummary(await readFile(r.stdoutPath, 'utf8'));
  } catch {
    return null;
  }
}

/** Runs bench/versions.ts as its own process (its figures print as it goes); returns its exit status. */
function runVersionsBench(): number {
  process.stdout.write('\n== version history (bench/versions.ts) ==\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'versions.ts')], { stdio: 'inherit', cwd: projectRoot });
  return r.status ?? 1;
}

/** Runs bench/sync.ts (sync to a throw-away Ceph RGW, with rclone as the reference). */
function runSyncBench(): number {
  process.stdout.write('\n== sync to S3 (bench/sync.ts) ==\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'sync.ts')], { stdio: 'inherit', cwd: projectRoot });
  return r.status ?? 1;
}

/** Runs bench/app-render.ts (first renders in Chromium through `strata serve`; skips itself without a browser). */
function runAppRenderBench(): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'app-render.ts')], { stdio: 'inherit', cwd: projectRoot });
  return r.status ?? 1;
}

async function main(): Promise<number> {
  const code = await compare();
  if (code !== 0 || parsedVersions === 'skip') return code;
  return runVersionsBench() || runSyncBench() || runAppRenderBench();
}

let parsedVersions: BenchOptions['versions'] = 'also';

async function compare(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    parsedVersions = 'skip';
    return 0;
  }
  parsedVersions = opts.versions;
  if (opts.versions === 'only') return 0;
  const startedAt = new Date();
  const loadAtStart = loadavg();
  if (!gnuTimeAvailable()) throw new EnvError(`${GNU_TIME} (GNU time) is missing: apt-get install -y time`);
  if (!existsSync(MAKE_CORPUS)) throw new EnvError(`corpus generator not found: ${MAKE_CORPUS}`);

  // ---- tools
  const adapters: Record<ToolName, ToolAdapter> = {
    strata: await strataAdapter(projectRoot),
    restic: await resticAdapter(projectRoot, workDir),
  };
  const wanted: ToolName[] = opts.only ? [opts.only] : ['strata', 'restic'];
  const notes: string[] = [];
  const skipped: Partial<Record<ToolName, string>> = {};
  for (const name of wanted) {
    const a = adapters[name];
    if (a.available) continue;
    if (opts.only === name) throw new EnvError(a.reason ?? `${name} unavailable`);
    if (name === 'restic') {
      notes.push(`restic is not installed: running Strata alone (${a.reason ?? ''})`);
      skipped.restic = a.reason ?? 'not installed';
    } else {
      throw new EnvError(`${a.reason ?? 'strata unavailable'}; to measure restic alone use --only restic`);
    }
  }
  const tools = wanted.filter((n) => skipped[n] === undefined).map((n) => adapters[n]);
  for (const n of notes) loud(n);

  // ---- work dir, caches
  takeLock();
  wipeWorkDir(opts.useCache);
  if (!opts.useCache) rmSync(cacheDir, { recursive: true, force: true });
  checkDiskSpace(opts, tools.length);

  const run: Run = { coldNote: 'warm: page cache not dropped (same for both tools)', cacheDropped: false };
  if (opts.cold) {
    const err = dropCaches();
    if (err === null) {
      run.cacheDropped = true;
      run.coldNote = `cold: sync + ${DROP_CACHES} = 3 before every timed step`;
    } else {
      run.coldNote = `WARM: --cold requested but ${DROP_CACHES} is not writable (${err}); caches NOT dropped`;
      loud(run.coldNote);
    }
  }
  log(`${tools.map((t) => (t.version?.startsWith(t.name) ? t.version : `${t.name} ${t.version ?? ''}`.trim())).join(' vs ')}; size ${opts.sizeLabel} (${opts.sizeBytes} bytes), seed ${opts.seed}; ${run.coldNote}`);

  // ---- corpus
  const corpusDir = join(workDir, 'corpus');
  const corpus = await prepareCorpus({ dir: corpusDir, cacheDir: opts.useCache ? cacheDir : null, sizeBytes: opts.sizeBytes, seed: opts.seed, log });
  if (corpus.generatorOutput) log(corpus.generatorOutput.split('\n')[0] ?? '');
  log(`corpus: ${corpus.pristine.files} files, ${(corpus.pristine.bytes / MiB).toFixed(1)} MiB${corpus.fromCache ? ' (from cache)' : ''}`);

  const results: Partial<Record<ToolName, ToolResult>> = {};
  for (const t of tools) results[t.name] = newToolResult(t, join(workDir, `repo-${t.name}`));
  const live = (t: ToolAdapter): boolean => {
    const r = results[t.name];
    return r !== undefined && r.failures.length === 0;
  };
  const resultOf = (t: ToolAdapter): ToolResult => {
    const r = results[t.name];
    if (r === undefined) throw new Error(`no result for ${t.name}`);
    return r;
  };

  // ---- init, backup 1
  for (const t of tools) await timedStep(run, t, resultOf(t), 'init', t.initArgs(), null);
  for (const t of tools) {
    if (!live(t)) continue;
    const r = await timedStep(run, t, resultOf(t), 'backup1', t.backupArgs(corpusDir), corpus.pristine.bytes);
    if (r.ok) {
      resultOf(t).repoSize.afterBackup1 = await diskUsage(resultOf(t).repo);
      resultOf(t).backupSummary.backup1 = await readSummary(t, r);
    }
  }

  // ---- one edit round, shared by both tools
  const mutation = await mutateCorpus(corpusDir, opts.mutateSeed);
  log(mutation.output);
  log('hashing the edited corpus (reference for restore verification) ...');
  const expected: Manifest = await scanTree(corpusDir, { hash: true });
  const mutated: TreeTotals = totals(expected);
  const probes = probeFiles(expected);

  // ---- backup 2
  const backup2Ok: Partial<Record<ToolName, boolean>> = {};
  for (const t of tools) {
    if (!live(t)) continue;
    const r = await timedStep(run, t, resultOf(t), 'backup2', t.backupArgs(corpusDir), mutated.bytes);
    backup2Ok[t.name] = r.ok;
    if (r.ok) {
      resultOf(t).repoSize.afterBackup2 = await diskUsage(resultOf(t).repo);
      resultOf(t).backupSummary.backup2 = await readSummary(t, r);
    }
  }

  // ---- restore + verify (restore dirs are deleted after verification unless --keep)
  for (const t of tools) {
    const res = resultOf(t);
    if (backup2Ok[t.name] !== true) continue;
    const target = join(workDir, `restore-${t.name}`);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    const r = await timedStep(run, t, res, 'restore', t.restoreArgs(target), mutated.bytes);
    if (r.ok) {
      log(`${t.name}: verifying the restored tree (names, sizes, SHA-256) ...`);
      const root = locateRestoredRoot(target, corpusDir, probes);
      res.restoredRoot = root;
      res.verify = compareTrees(expected, await scanTree(root, { hash: true }));
      const line = verifyLine(res);
      if (res.verify.mismatches > 0) {
        res.failures.push(line.slice(t.name.length + 2));
        loud(line);
        for (const ex of res.verify.examples) process.stdout.write(`   ${ex}\n`);
      } else log(line);
    }
    if (!opts.keep) rmSync(target, { recursive: true, force: true });
  }

  // ---- check --read-data (after a failed restore too: it says whether the repo is sound)
  for (const t of tools) {
    const res = resultOf(t);
    if (res.steps.backup1?.ok !== true) continue;
    await timedStep(run, t, res, 'check', t.checkArgs(), mutated.bytes);
  }
  for (const t of tools) {
    if (resultOf(t).steps.init?.ok) resultOf(t).repoInfo = await t.repoInfo(resultOf(t).repo);
  }

  // ---- report
  const strata = results.strata;
  const restic = results.restic;
  const targets = computeTargets(strata, restic);
  const failures = tools.flatMap((t) => resultOf(t).failures.map((f) => `${t.name} ${f}`));

  const out: string[] = [];
  out.push('');
  out.push(`Strata benchmark - ${startedAt.toISOString()}`);
  out.push(
    `corpus: make-corpus --size ${opts.sizeLabel} (${opts.sizeBytes} B) --seed ${opts.seed}; ` +
      `backup 1: ${corpus.pristine.files} files, ${(corpus.pristine.bytes / MiB).toFixed(1)} MiB; ` +
      `after --mutate ${opts.mutateSeed}: ${mutated.files} files, ${(mutated.bytes / MiB).toFixed(1)} MiB`,
  );
  out.push(`caches: ${run.coldNote}`);
  out.push(`tools: ${tools.map((t) => `${t.name} = ${t.version ?? 'version unknown'}`).join('; ')}`);
  for (const t of tools) {
    const c = resultOf(t).repoInfo.compression;
    if (typeof c === 'string') out.push(`${t.name} repository compression: ${c}`);
  }
  for (const [name, why] of Object.entries(skipped)) out.push(`${name}: NOT RUN - ${why}`);
  const env = inheritedToolEnv();
  if (Object.keys(env).length) out.push(`inherited tool env: ${JSON.stringify(env)}`);
  out.push(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, node ${process.version}`,
  );
  out.push('');
  out.push(stepTable(strata, restic));
  out.push('wall: monotonic clock; CPU: user+sys of the process tree (GNU time); MiB/s: corpus logical bytes / wall;');
  out.push('peak RSS: max(GNU time %M, summed RSS of the process tree sampled every 50 ms).');
  const busy = tools.flatMap((t) =>
    STEPS.map((st) => ({ tool: t.name, step: st.name, pct: resultOf(t).steps[st.name]?.backgroundCpuPct ?? null })),
  );
  out.push(
    `other processes' CPU during each step (% of ${cpus().length} cores): ` +
      tools.map((t) => `${t.name} ${busy.filter((b) => b.tool === t.name).map((b) => (b.pct === null ? '-' : b.pct.toFixed(0))).join('/')}`).join(', ') +
      ` (${STEPS.map((st) => st.name).join('/')})`,
  );
  const worst = Math.max(0, ...busy.map((b) => b.pct ?? 0));
  if (worst > BUSY_WARN_PCT) {
    out.push(
      `WARNING: the machine was busy (other processes used up to ${worst.toFixed(0)}% of the CPU during a timed step; ` +
        `load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}): figures are noisy, rerun on an idle machine.`,
    );
  }
  out.push('');
  out.push(repoTable(strata, restic, { backup1: corpus.pristine.bytes, backup2: mutated.bytes }));
  out.push('repository size: apparent size = sum of file sizes in the repository dir (block usage is in results.json).');
  out.push('');
  for (const t of tools) out.push(verifyLine(resultOf(t)));
  out.push('');
  out.push(targetLines(targets));
  const counted = targets.filter((t) => t.status !== 'n/a');
  out.push(
    counted.length
      ? `targets: ${counted.filter((t) => t.status === 'PASS').length}/${counted.length} PASS`
      : 'targets: n/a (needs both tools)',
  );
  process.stdout.write(`${out.join('\n')}\n`);

  const json = {
    schema: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: opts,
    caches: { mode: run.cacheDropped ? 'cold' : 'warm', note: run.coldNote },
    machine: { loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadavg(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, memBytes: totalmem(), kernel: release(), node: process.version },
    corpus: {
      generator: MAKE_CORPUS,
      pristine: corpus.pristine,
      mutated,
      mutateSeed: opts.mutateSeed,
      mutation: mutation.log ?? mutation.output,
      fromCache: corpus.fromCache,
      generateS: corpus.generateS,
      copyS: corpus.copyS,
    },
    skipped,
    inheritedToolEnv: env,
    repoSizeMeasure: 'apparentBytes = sum of regular-file sizes; blockBytes = allocated bytes incl. directories (du -B1)',
    tools: results,
    targets,
    failures,
    ok: failures.length === 0,
  };
  writeFileSync(resultsPath, `${JSON.stringify(json, null, 2)}\n`);
  log(`results: ${resultsPath}`);

  if (!opts.keep) {
    for (const name of readdirSync(workDir)) {
      if (['cache', 'logs', 'results.json', LOCK_NAME].includes(name)) continue;
      rmSync(join(workDir, name), { recursive: true, force: true });
    }
  } else log(`kept: ${workDir}`);

  if (failures.length) {
    loud(`BENCHMARK FAILED:\n${failures.map((f) => `!!   ${f}`).join('\n')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof EnvError) {
      process.stderr.write(`bench: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
