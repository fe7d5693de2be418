// Benchmark of the app's first renders in Chromium through `strata serve`, run
// last by `npm run bench`, or alone:
//
//   node --import tsx bench/app-render.ts [--runs 7] [--versions 10000]
//
// 1. Prepares, with the engine directly, a repository holding one course
//    whose one file (slides.pdf, binary) has 10,000 versions: two real scans
//    store two contents, then the other versions are written as version
//    batches of 1,000 records alternating between them (a scan per version
//    would take ~10 minutes).
// 2. Starts the built `strata serve` on it (test/e2e/harness.ts), unlocks it
//    over the API, and drives headless Chromium (/usr/bin/chromium, 1024x700):
//    - Dashboard: from page.goto(the tokenised URL) to its heading visible,
//      and to its figures (the "Storage by tier" card: dashboard.summary
//      answered); without the app shell, to the unlocked home screen;
//    - File history of the 10,000-version file: from page.goto to the
//      timeline's first rows visible (navigation, course, file, timeline), and
//      the part from clicking the file to the rows;
//    each cold (a new browser profile: empty IndexedDB catalog, so the whole
//    history comes over catalog.changes) and warm (reload: catalog cached).
//    Medians of --runs runs. Also the API calls behind them, over HTTP.
// Whatever the app does not have yet is reported as skipped, with why.
// Exit status: 0 ran (or skipped for want of a browser); 1 failed; 2 the
// environment is wrong (a missing browser with STRATA_REQUIRE_E2E=1).

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { defaultKdfParams } from '../src/engine/crypto/kdf';
import { initRepositoryAt } from '../src/engine/repo/location';
import type { VersionRecord } from '../src/engine/versions/records';
import { writeBatch } from '../src/engine/versions/scanner';
import { addFolder, scan } from '../src/engine/ops/folders';
import { version } from '../src/engine/ops/history';
import { Session } from '../src/engine/ops/session';
import type { Course } from '../src/shared/api';
import {
  CHROMIUM_PATH,
  PROJECT_ROOT,
  VIEWPORT,
  e2eUnavailable,
  launchBrowser,
  makeTempDir,
  startServe,
  type BrowserSession,
  type Served,
} from '../test/e2e/harness';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} takes a whole number from 1`);
  return value;
}
const RUNS = option('--runs', 7);
const VERSIONS = Math.max(2, option('--versions', 10_000));
const PASSPHRASE = 'bench-app-render';
const COURSE = 'Physics 101';
const FILE = 'slides.pdf';
const BATCH_RECORDS = 1_000;
const STEP_TIMEOUT_MS = 120_000;

const log = (message: string): void => {
  process.stdout.write(`[app-render] ${message}\n`);
};

class EnvError extends Error {}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const ms = (value: number): string => `${value.toFixed(0)} ms`;
const spread = (xs: number[]): string => `median ${ms(median(xs))} (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))}, ${xs.length} runs)`;

/** Newest modification time under a directory (0 when absent). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Rebuilds the CLI bundle and the renderer when missing or older than their sources. */
function ensureBuilt(): void {
  const source = (...dirs: string[]) => Math.max(...dirs.map((dir) => newest(join(PROJECT_ROOT, dir))));
  const cli = join(PROJECT_ROOT, 'dist', 'strata.mjs');
  if (!existsSync(cli) || statSync(cli).mtimeMs < source('src/cli', 'src/engine', 'src/shared')) {
    log('building the CLI (node scripts/build-cli.mjs) ...');
    const built = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build-cli.mjs')], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the CLI failed');
  }
  const page = join(PROJECT_ROOT, 'out', 'renderer', 'index.html');
  if (!existsSync(page) || statSync(page).mtimeMs < source('src/renderer', 'src/shared')) {
    log('building the renderer (electron-vite build) ...');
    const built = spawnSync('npx', ['electron-vite', 'build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) throw new Error('building the renderer failed');
  }
}

/** A binary "PDF" of about 6 KiB whose bytes depend on `seed`. */
function pdfBytes(seed: number): Buffer {
  const body = Buffer.alloc(6 * 1024);
  let x = seed | 0 || 1;
  for (let i = 0; i < body.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    body[i] = x & 0xff;
  }
  return Buffer.concat([Buffer.from('%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n', 'latin1'), body, Buffer.from('\n%%EOF\n')]);
}

/**
 * The repository: one course folder, FILE with VERSIONS versions. Two scans
 * record two real contents (A, B); the rest are records alternating between
 * them, written as version batches (the engine's own writeBatch), each
 * following the previous one, one every 20 minutes up to now. On disk the
 * file holds the newest version's content, so nothing is left to record.
 */
async function prepare(root: string): Promise<{ repoDir: string; folder: string; seconds: number }> {
  const t0 = performance.now();
  const repoDir = join(root, 'repository');
  const folder = join(root, 'courses', COURSE);
  await mkdir(folder, { recursive: true });
  const file = join(folder, FILE);
  const settle = async (ageS: number) => {
    const when = Date.now() / 1000 - ageS;
    await utimes(file, when, when);
  };
  // A cheap key derivation: the repository is throw-away and unlocking is not what is measured.
  const repo = await initRepositoryAt(repoDir, PASSPHRASE, { kdf: { ...defaultKdfParams(), N: 1024 } });
  const session = Session.of(repo, repoDir);
  await writeFile(file, pdfBytes(1));
  await settle(3_000_000);
  await addFolder(session, folder, COURSE);
  await scan(session, [], { settleMs: 0 });
  await writeFile(file, pdfBytes(2));
  await settle(2_000_000);
  await scan(session, [], { settleMs: 0 });
  const first = await version(session, file, 1);
  const second = await version(session, file, 2);
  const { state, history } = await session.versions();
  if (first.yjs || second.yjs || !(first.content || first.contentList)) throw new Error(`${FILE} was recorded as text: the benchmark needs binary versions`);

  const authors = ['Ada Lovelace <ada@example.org>', 'Grace Hopper <grace@example.org>', 'Alan Turing <alan@example.org>'];
  const stepMs = 20 * 60 * 1000;
  const start = Date.now() - VERSIONS * stepMs;
  let pending: VersionRecord[] = [];
  for (let n = 3; n <= VERSIONS; n++) {
    const like = n % 2 === 1 ? first : second;
    const { parents: _parents, ...rest } = like;
    // No `parents`: a record without them follows the one stored with the next lower number.
    pending.push({ ...rest, n, op: 'edit', time: new Date(start + n * stepMs).toISOString(), author: authors[n % authors.length] as string, summary: `edit ${n}`, tags: [], meta: {} });
    if (pending.length === BATCH_RECORDS || n === VERSIONS) {
      await writeBatch(repo, state, history, pending);
      pending = [];
    }
  }
  // The disk holds the newest version: the same bytes, and the stat the record remembers.
  const last = VERSIONS % 2 === 1 ? 1 : 2;
  await writeFile(file, pdfBytes(last));
  await settle(last === 1 ? 3_000_000 : 2_000_000);
  const reopened = Session.of(repo, repoDir);
  const head = await version(reopened, file);
  if (head.n !== VERSIONS) throw new Error(`expected ${VERSIONS} versions, the history has ${head.n}`);
  const rescan = await scan(reopened, [], { settleMs: 0 });
  if (rescan.versions.length !== 0) throw new Error(`the prepared folder is not settled: a scan recorded ${rescan.versions.length} versions`);
  await repo.backend.close();
  return { repoDir, folder, seconds: (performance.now() - t0) / 1000 };
}

interface Measurement {
  name: string;
  runs?: number[];
  /** Why it was not measured. */
  skipped?: string;
  note?: string;
}

/** The unlocked home: the Dashboard heading once the shell is in, else the screen the app shows when unlocked. */
function homeScreen(page: Page) {
  return page
    .getByRole('heading', { name: 'Dashboard', exact: true })
    .or(page.getByRole('heading', { name: 'Add a course folder', exact: true }));
}

async function hasShell(page: Page): Promise<boolean> {
  return (await page.getByRole('navigation', { name: 'Main' }).count()) > 0;
}

/** Times page.goto(url) to `ready` resolving, in a fresh profile (cold) or by reloading one page (warm). */
async function timeRuns(
  session: BrowserSession,
  served: Served,
  mode: 'cold' | 'warm',
  ready: (page: Page) => Promise<void>,
  onStart: (t0: number) => void = () => {},
): Promise<number[]> {
  const times: number[] = [];
  let warmPage: Page | undefined;
  if (mode === 'warm') {
    warmPage = await session.newPage();
    onStart(performance.now());
    await warmPage.goto(served.url);
    await ready(warmPage); // fills the catalog: the runs below start warm
  }
  for (let run = 0; run < RUNS; run++) {
    const page = warmPage ?? (await session.newPage());
    const t0 = performance.now();
    onStart(t0);
    await page.goto(served.url);
    await ready(page);
    times.push(performance.now() - t0);
    if (!warmPage) await page.context().close();
  }
  await warmPage?.context().close();
  return times;
}

async function measure(served: Served, session: BrowserSession, measurements: Measurement[]): Promise<void> {
  // Is the app shell there (navigation)? Decides what can be measured.
  const probe = await session.newPage();
  await probe.goto(served.url);
  await homeScreen(probe).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  const shell = await hasShell(probe);
  await probe.context().close();

  // The Dashboard: its heading (the shell painted), then its figures (dashboard.summary answered, cards drawn).
  const dashboardName = shell ? 'Dashboard' : 'unlocked home screen (no Dashboard yet)';
  const headingTimes: number[] = [];
  let started = 0;
  const dashboardReady = async (page: Page) => {
    await homeScreen(page).first().waitFor({ timeout: STEP_TIMEOUT_MS });
    headingTimes.push(performance.now() - started);
    if (shell) await page.getByRole('heading', { name: 'Storage by tier' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  };
  for (const mode of ['cold', 'warm'] as const) {
    headingTimes.length = 0;
    const runs = await timeRuns(session, served, mode, dashboardReady, (t0) => (started = t0));
    const headings = mode === 'warm' ? headingTimes.slice(1) : [...headingTimes];
    if (shell) {
      measurements.push({ name: `${dashboardName}, ${mode}: page.goto to its heading`, runs: headings });
      measurements.push({ name: `${dashboardName}, ${mode}: page.goto to its figures (Storage by tier)`, runs });
      log(`${dashboardName} ${mode}: heading ${spread(headings)}; figures ${spread(runs)}`);
    } else {
      measurements.push({ name: `${dashboardName}, ${mode}`, runs });
      log(`${dashboardName} ${mode}: ${spread(runs)}`);
    }
  }

  const historyName = `file history of ${FILE} (${VERSIONS.toLocaleString('en')} versions), first timeline rows`;
  if (!shell) {
    measurements.push({ name: historyName, skipped: 'the app has no navigation yet (the shell with "File history" is not in App.tsx)' });
    return;
  }
  const clickToRows: number[] = [];
  const historyReady = async (page: Page) => {
    await dashboardReady(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'File history' }).click();
    await page.getByRole('heading', { name: 'File history' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const fileRow = page.getByRole('option', { name: new RegExp(FILE.replace('.', '\\.')) }).first();
    await fileRow.waitFor({ timeout: STEP_TIMEOUT_MS });
    const t0 = performance.now();
    await fileRow.click();
    const timeline = page.getByRole('listbox', { name: `Versions of ${FILE}` });
    await timeline.getByRole('option').first().waitFor({ timeout: STEP_TIMEOUT_MS });
    clickToRows.push(performance.now() - t0);
  };
  for (const mode of ['cold', 'warm'] as const) {
    clickToRows.length = 0;
    let runs: number[];
    try {
      runs = await timeRuns(session, served, mode, historyReady);
    } catch (err) {
      measurements.push({ name: `${historyName}, ${mode}`, skipped: `the screen did not get there: ${(err as Error).message.split('\n')[0]}` });
      log(`${historyName} ${mode}: SKIPPED (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    // Warm runs: the first historyReady filled the catalog and is not a run.
    const clicks = mode === 'warm' ? clickToRows.slice(1) : [...clickToRows];
    measurements.push({ name: `${historyName}, ${mode}: page.goto to rows`, runs });
    measurements.push({ name: `${historyName}, ${mode}: file clicked to rows`, runs: clicks });
    log(`${historyName} ${mode}: ${spread(runs)}; from the click on the file: ${spread(clicks)}`);
  }
}

/** The API calls behind the screens, over HTTP as the page makes them. */
async function measureApi(served: Served, measurements: Measurement[]): Promise<void> {
  const timed = async (name: string, call: () => Promise<unknown>): Promise<void> => {
    const runs: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        const t0 = performance.now();
        await call();
        runs.push(performance.now() - t0);
      }
    } catch (err) {
      measurements.push({ name, skipped: (err as Error).message.split('\n')[0] ?? 'failed' });
      log(`${name}: SKIPPED (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    measurements.push({ name, runs });
    log(`${name}: ${spread(runs)}`);
  };
  await timed('API dashboard.summary', () => served.api('dashboard.summary'));
  await timed('API catalog.changes from an empty cursor (the cold catalog load)', () => served.api('catalog.changes', { cursor: {} }));
  let courses: Course[] | undefined;
  try {
    courses = await served.api('courses.list');
  } catch {
    courses = undefined;
  }
  const course = courses?.find((each) => each.name === COURSE);
  if (course) await timed(`API files.versions of ${FILE}`, () => served.api('files.versions', { course: course.id, path: FILE }));
  else measurements.push({ name: `API files.versions of ${FILE}`, skipped: 'courses.list is not available or does not list the course' });
}

function report(measurements: Measurement[], prepared: number): void {
  const lines = [
    '',
    `App render benchmark - ${new Date().toISOString()}`,
    `repository: 1 course, ${FILE} with ${VERSIONS.toLocaleString('en')} versions (prepared in ${prepared.toFixed(1)} s)`,
    `browser: ${CHROMIUM_PATH} headless, ${VIEWPORT.width}x${VIEWPORT.height}; \`strata serve\` on 127.0.0.1; times from page.goto, wall clock in this process`,
    'cold: a new browser profile (empty IndexedDB catalog); warm: a reload of a page that has the catalog',
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (figures are noisy on a busy machine)`,
  ];
  for (const m of measurements) lines.push(m.runs ? `  ${m.name}: ${spread(m.runs)}` : `  ${m.name}: SKIPPED - ${m.skipped ?? ''}`);
  const skipped = measurements.filter((m) => m.skipped);
  if (skipped.length) lines.push(`skipped: ${skipped.length} (see above)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<number> {
  process.stdout.write('\n== app render (bench/app-render.ts) ==\n');
  let unavailable: string | undefined;
  try {
    ensureBuilt();
    unavailable = e2eUnavailable();
  } catch (err) {
    throw new EnvError((err as Error).message);
  }
  if (unavailable) {
    log(`SKIPPED: ${unavailable}`);
    return 0;
  }
  const root = await makeTempDir('strata-bench-app-');
  let served: Served | undefined;
  let session: BrowserSession | undefined;
  try {
    log(`preparing a repository with ${VERSIONS.toLocaleString('en')} versions of ${FILE} ...`);
    const prepared = await prepare(root);
    log(`prepared in ${prepared.seconds.toFixed(1)} s`);
    const home = join(root, 'home');
    await mkdir(home);
    [served, session] = await Promise.all([startServe({ home, repo: prepared.repoDir }), launchBrowser()]);
    await served.api('repo.unlock', { path: prepared.repoDir, passphrase: PASSPHRASE });
    const measurements: Measurement[] = [];
    await measureApi(served, measurements);
    await measure(served, session, measurements);
    report(measurements, prepared.seconds);
    const problems = session.problems.filter((problem) => !/Failed to load resource.*50[03]/.test(problem));
    if (problems.length) log(`browser problems seen: ${problems.slice(0, 5).join(' | ')}`);
    return 0;
  } finally {
    await session?.close();
    await served?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    process.exit(); // the engine's worker pool would otherwise idle on
  },
  (err: unknown) => {
    process.stderr.write(`app-render: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = err instanceof EnvError ? 2 : 1;
    process.exit();
  },
);
