// End-to-end harness: the real `strata serve` (the built CLI and renderer, as
// a user runs them) in a throw-away HOME, driven by Debian's Chromium through
// playwright-core. Shared by the e2e tests and bench/app-render.ts.
//
//   const served = await startServe();            // node bin/strata.js serve --port 0
//   const session = await launchBrowser();        // headless Chromium, 1024x700
//   await session.page.goto(served.url);          // the printed URL, token included
//   await screenshot(session.page, 'first-run');  // test-results/screenshots/first-run.png
//   await session.close(); await served.stop();
//
// Needs `npm run build` (dist/strata.mjs and out/renderer; `npm test` builds
// first) and /usr/bin/chromium (never downloaded: `npx playwright install`
// does not work here; .ci/run installs Debian's package).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ApiArgs, ApiMethod, ApiResponse, ApiResult } from '../../src/shared/api';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = join(PROJECT_ROOT, 'test-results', 'screenshots');
/** Debian's Chromium; STRATA_CHROMIUM points elsewhere. */
export const CHROMIUM_PATH = process.env['STRATA_CHROMIUM'] ?? '/usr/bin/chromium';
export const VIEWPORT = { width: 1024, height: 700 } as const;
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the e2e tests cannot run here, or undefined when they can. With
 * STRATA_REQUIRE_E2E=1 (CI) a missing browser or build is an error, not a skip.
 */
export function e2eUnavailable(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM_PATH)) missing.push(`${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'strata.mjs'))) missing.push('dist/strata.mjs is missing (npm run build)');
  if (!existsSync(join(PROJECT_ROOT, 'out', 'renderer', 'index.html'))) missing.push('out/renderer is missing (npm run build)');
  if (missing.length === 0) return undefined;
  const reason = missing.join('; ');
  if (process.env['STRATA_REQUIRE_E2E'] === '1') throw new Error(`end-to-end tests required (STRATA_REQUIRE_E2E=1) but ${reason}`);
  return reason;
}

/** A fresh directory under the system temp dir (real path: macOS /tmp is a symlink). */
export async function makeTempDir(prefix: string): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), prefix)));
}

export interface ServeOptions {
  /** HOME of the serve process; default a new temp dir (removed by stop()). */
  home?: string;
  /** --repo: where the repository is (default $HOME/Strata, the app's default). */
  repo?: string;
  /** Extra environment (e.g. STRATA_AUTHOR). */
  env?: Record<string, string>;
  /** How long to wait for the URL; default 30 s. */
  startTimeoutMs?: number;
}

export interface Served {
  /** The URL `strata serve` printed: http://127.0.0.1:PORT/?token=... */
  url: string;
  origin: string;
  token: string;
  port: number;
  home: string;
  /** The default repository path the app offers ($HOME/Strata unless --repo). */
  repoPath: string;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Calls the API over HTTP with the token, as the page does; throws on a contract error. */
  api<M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>>;
  /**
   * SIGTERM (SIGKILL after 5 s), then removes the temp HOME if startServe made
   * it; resolves to how the process ended. Idempotent.
   */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `node bin/strata.js serve --port 0` and resolves once it printed its URL. */
export async function startServe(options: ServeOptions = {}): Promise<Served> {
  const unavailable = e2eUnavailable();
  if (unavailable) throw new Error(unavailable);
  const ownHome = options.home === undefined;
  const home = options.home ?? (await makeTempDir('strata-e2e-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, USERPROFILE: home, ...options.env };
  // The parent's repository and passphrase must not leak into the app.
  delete env['STRATA_REPO'];
  delete env['STRATA_PASSPHRASE'];
  const args = [join(PROJECT_ROOT, 'bin', 'strata.js')];
  if (options.repo) args.push('--repo', options.repo);
  args.push('serve', '--port', '0');
  const child = spawn(process.execPath, args, { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (output += chunk));
  child.stderr?.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  exited.then(() => running.delete(child), () => {});

  let url: string;
  try {
    url = await new Promise<string>((resolveUrl, rejectUrl) => {
      const timer = setTimeout(() => rejectUrl(new Error(`strata serve printed no URL in time:\n${output}`)), options.startTimeoutMs ?? 30_000);
      const look = (): void => {
        const match = /Strata is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9._~-]+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      };
      child.stdout?.on('data', look);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        rejectUrl(new Error(`strata serve exited (${signal ?? code}) before printing its URL:\n${output}`));
      });
      look();
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    if (ownHome) await rm(home, { recursive: true, force: true });
    throw err;
  }

  const parsed = new URL(url);
  const token = parsed.searchParams.get('token') ?? '';
  const origin = parsed.origin;

  async function api<M extends ApiMethod>(method: M, ...callArgs: ApiArgs<M>): Promise<ApiResult<M>> {
    const response = await fetch(`${origin}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ args: callArgs[0] }),
    });
    const body = (await response.json()) as ApiResponse<M>;
    if ('error' in body) throw Object.assign(new Error(`${method}: ${body.error.code}: ${body.error.message}`), body.error);
    return body.result;
  }

  return {
    url,
    origin,
    token,
    port: Number(parsed.port),
    home,
    repoPath: options.repo ? resolve(options.repo) : join(home, 'Strata'),
    process: child,
    output: () => output,
    api,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      if (ownHome) await rm(home, { recursive: true, force: true });
      return { code: child.exitCode, signal: child.signalCode };
    },
  };
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and CSP violations seen so far, in order. */
  problems: string[];
  /** A new isolated context (no cookies, no storage) with its own page: a second browser profile, in effect. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with one 1024x700 page; records console errors and CSP violations. */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserSession> {
  const unavailable = e2eUnavailable();
  if (unavailable) throw new Error(unavailable);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: options.viewport ?? VIEWPORT, colorScheme: 'light', reducedMotion: 'reduce' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return page;
  }
  const page = await newPage();
  const context = page.context();
  return {
    browser,
    context,
    page,
    problems,
    newPage,
    async close() {
      for (const each of contexts) await each.close().catch(() => {});
      await browser.close();
    },
  };
}

/** Saves a full-page PNG as test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use lower-case letters, digits and dashes`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/** The CSP violations among the recorded problems (Chromium reports them as console errors). */
export function cspViolations(problems: readonly string[]): string[] {
  return problems.filter((problem) => /Content Security Policy/i.test(problem));
}
