// End to end: the built `strata serve` in a temp HOME, driven by headless
// Chromium (test/e2e/harness.ts). Skipped with a notice where /usr/bin/chromium
// or the build is missing, unless STRATA_REQUIRE_E2E=1 (CI), which fails instead.
// Screenshots of every screen reached go to test-results/screenshots/.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, WebSocket as PageWebSocket } from 'playwright-core';
import {
  cspViolations,
  e2eUnavailable,
  launchBrowser,
  screenshot,
  startServe,
  type BrowserSession,
  type Served,
} from './harness';

const unavailable = e2eUnavailable();
if (unavailable) console.warn(`[e2e] SKIPPED: ${unavailable} (set STRATA_REQUIRE_E2E=1 to make this an error)`);

const PASSPHRASE = 'correct horse battery';

/** The event sockets a page opens, and the text frames they received. */
function watchSockets(page: Page): { sockets: PageWebSocket[]; frames: string[] } {
  const seen = { sockets: [] as PageWebSocket[], frames: [] as string[] };
  page.on('websocket', (socket) => {
    seen.sockets.push(socket);
    socket.on('framereceived', ({ payload }) => seen.frames.push(String(payload)));
  });
  return seen;
}

/** The unlocked app: the shell's main navigation. */
function unlockedShell(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

/** Goes to one of the shell's screens by its navigation button; resolves once its heading shows. */
async function navigate(page: Page, label: string): Promise<void> {
  await unlockedShell(page).getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: label, exact: true }).waitFor();
}

/**
 * The API token lives in the page's memory only (issue 10, point 6): the address shows it in the
 * fragment (never sent to a server), not in the query; no cookie holds it (browsers send
 * 127.0.0.1's cookies to every port), nor any storage; the one cookie there is admits static
 * files only, and neither the API nor the events take it.
 */
async function expectTokenOnlyInMemory(page: Page, served: Served): Promise<void> {
  const cookies = await page.context().cookies(served.origin);
  for (const c of cookies) expect(c.value).not.toContain(served.token);
  expect(cookies.map((c) => c.name)).toEqual([`strata-assets-${served.port}`]);
  // A string, evaluated in the page: this file is type-checked without the DOM library.
  const stored = await page.evaluate('JSON.stringify([document.cookie, Object.entries(localStorage), Object.entries(sessionStorage)])');
  expect(stored).toEqual(expect.any(String));
  expect(stored).not.toContain(served.token);
  const withCookieOnly = await page.evaluate(async (origin) => {
    const api = await fetch('/api/repo.status', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((reply) => reply.status);
    const events = await new Promise<string>((settle) => {
      const ws = new WebSocket(`${origin.replace('http', 'ws')}/api/events`, ['strata']);
      ws.onopen = () => {
        ws.close();
        settle('open');
      };
      ws.onclose = () => settle('refused');
    });
    return { api, events };
  }, served.origin);
  expect(withCookieOnly).toEqual({ api: 401, events: 'refused' });
  const url = new URL(page.url());
  expect(url.search).toBe('');
  expect(url.hash).toBe(`#token=${served.token}`);
}

let session: BrowserSession;

describe.skipIf(unavailable !== undefined)('strata serve in Chromium', () => {
  beforeAll(async () => {
    session = await launchBrowser();
  });

  afterAll(async () => {
    await session?.close();
  });

describe('security and first run', () => {
  let served: Served;

  beforeAll(async () => {
    served = await startServe();
  });

  afterAll(async () => {
    await served?.stop();
  });

  it('loads the page with the token and refuses requests without it', async () => {
    const { page } = session;
    const events = watchSockets(page);
    const response = await page.goto(served.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/connect-src 'self';/);
    expect(await page.title()).toBe('Strata');
    await page.getByRole('heading', { name: 'Create a repository' }).waitFor();
    await screenshot(page, 'first-run');

    // The page's event socket is open (same origin: CSP 'self' allows it).
    await expect.poll(() => events.sockets.length).toBe(1);
    expect(events.sockets[0]?.url()).toBe(`${served.origin.replace('http', 'ws')}/api/events`);
    expect(events.sockets[0]?.isClosed()).toBe(false);
    await expectTokenOnlyInMemory(page, served);

    // API calls without the Bearer token: refused even with the page's cookie (page.request shares it).
    const bare = await page.request.post(`${served.origin}/api/repo.status`, { data: {}, failOnStatusCode: false });
    expect(bare.status()).toBe(401);
    const fromPage = await page.evaluate(async (token) => {
      const post = (headers: Record<string, string>) =>
        fetch('/api/repo.status', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' }).then(
          (reply) => reply.status,
        );
      return { without: await post({}), wrong: await post({ Authorization: 'Bearer wrong-token-wrong-token' }), with: await post({ Authorization: `Bearer ${token}` }) };
    }, served.token);
    expect(fromPage).toEqual({ without: 401, wrong: 403, with: 200 });

    // The page without ?token, in a browser profile that never had it: refused.
    const stranger = await session.newPage();
    expect((await stranger.goto(`${served.origin}/`))?.status()).toBe(401);
    expect((await stranger.goto(`${served.origin}/?token=wrong-token-wrong-token`))?.status()).toBe(403);
    expect((await stranger.goto(`${served.origin}/assets/`))?.status()).toBe(401);
    await stranger.context().close();

    expect(cspViolations(session.problems)).toEqual([]);
  });

  it('a page from another local origin cannot reach the API or the events, even knowing the token', async () => {
    // Another local web server: same site as 127.0.0.1 (so the browser attaches the static-files
    // cookie), but another origin.
    const foreign: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((listening) => foreign.listen(0, '127.0.0.1', listening));
    try {
      const page = await session.context.newPage();
      await page.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
      const attempts = await page.evaluate(
        async ({ origin, token }) => {
          const socket = (protocols: string[]) =>
            new Promise<string>((settle) => {
              const ws = new WebSocket(`${origin.replace('http', 'ws')}/api/events`, protocols);
              ws.onopen = () => {
                ws.close();
                settle('open');
              };
              ws.onclose = () => settle('refused');
            });
          const api = await fetch(`${origin}/api/repo.status`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: '{}',
          }).then(
            (reply) => `HTTP ${reply.status}`,
            () => 'blocked',
          );
          return { api, withCookie: await socket(['strata']), withToken: await socket(['strata', `token.${token}`]) };
        },
        { origin: served.origin, token: served.token },
      );
      expect(attempts).toEqual({ api: 'blocked', withCookie: 'refused', withToken: 'refused' });
      await page.close();
    } finally {
      await new Promise<void>((closed) => foreign.close(() => closed()));
    }
  });

  it('first run: creates a repository, reaches the unlocked screen, and unlocks again after locking', async () => {
    const page = await session.context.newPage();
    const events = watchSockets(page);
    await page.goto(served.url);
    await page.getByLabel('Location').fill(served.repoPath);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
    await screenshot(page, 'first-run-filled');
    await page.getByRole('button', { name: 'Create repository' }).click();

    await unlockedShell(page).waitFor({ timeout: 30_000 });
    // Getting started: step 2, adding a course, is the current step, on the Courses screen.
    const steps = page.getByRole('list', { name: 'Getting started' });
    await steps.waitFor();
    expect(await steps.locator('[aria-current="step"]').textContent()).toMatch(/Add a course folder/);
    await page.getByRole('heading', { name: 'Courses', level: 2 }).waitFor();
    expect(await served.api('repo.status')).toMatchObject({ state: 'unlocked', path: served.repoPath });
    expect(existsSync(served.repoPath)).toBe(true);
    await screenshot(page, 'unlocked');
    // The engine's event reached the page over its WebSocket.
    await expect.poll(() => events.frames.some((frame) => frame.includes('"repo.changed"'))).toBe(true);

    // Locked elsewhere (the API, as another tab would): a reload asks for the passphrase.
    await served.api('repo.lock');
    await page.reload();
    await page.getByRole('heading', { name: 'Unlock your repository' }).waitFor();
    await screenshot(page, 'unlock');
    await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByText('This passphrase does not unlock the repository.').first().waitFor();
    await screenshot(page, 'unlock-wrong-passphrase');
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await unlockedShell(page).waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { level: 2, name: 'Dashboard' }).waitFor();
    expect(await served.api('repo.status')).toMatchObject({ state: 'unlocked' });
    // After a reload, creating and unlocking (the catalog written, settings read): still in memory only.
    await expectTokenOnlyInMemory(page, served);

    expect(cspViolations(session.problems)).toEqual([]);
    await page.close();
  });
});

describe('the full flow: course, versions, compare, rollback, point in time', () => {
  let served: Served;
  let course: string;
  let syllabus: string;
  let lecture: string;
  const original = '# Physics 101\n\nWeek 1: waves\n';
  const edited = `${original}Week 2: sound\n`;
  const lectureText = '# Lecture 1\n\nWaves carry energy, not matter.\n';

  beforeAll(async () => {
    served = await startServe({ env: { STRATA_AUTHOR: 'Ada Lovelace <ada@example.org>' } });
    course = join(served.home, 'Courses', 'Physics 101');
    syllabus = join(course, 'syllabus.md');
    lecture = join(course, 'notes', 'lecture-1.md');
    await mkdir(join(course, 'notes'), { recursive: true });
    await writeFile(syllabus, original);
    await writeFile(lecture, lectureText);
    // The first run itself is the test above: here the repository is made over the API.
    await served.api('repo.create', { path: served.repoPath, passphrase: PASSPHRASE });
  });

  afterAll(async () => {
    await served?.stop();
  });

  it('adds a course, records an edit made on disk, compares, rolls back and restores a point in time', async () => {
    const page = await session.context.newPage();
    await page.goto(served.url);
    await page.getByRole('heading', { level: 2, name: 'Dashboard' }).waitFor();
    await page.getByRole('heading', { name: 'Storage by tier' }).waitFor();
    await screenshot(page, 'dashboard');

    // Courses: add the folder.
    await navigate(page, 'Courses');
    await screenshot(page, 'courses-empty');
    await page.getByLabel('Folder path').fill(course);
    await page.getByRole('button', { name: 'Add course' }).click();
    await page.getByText('Added Physics 101: 2 files recorded.').waitFor({ timeout: 30_000 });
    await page.getByRole('rowheader', { name: /Physics 101/ }).waitFor();
    await screenshot(page, 'courses');

    // File history: the file's first version, then an edit on disk shows up as @2 (watcher, event, catalog).
    await navigate(page, 'File history');
    const files = page.getByRole('listbox', { name: 'Files' });
    await files.getByRole('option', { name: /syllabus\.md/ }).click();
    const timeline = page.getByRole('listbox', { name: 'Versions of syllabus.md' });
    const version = (n: number) => timeline.getByRole('option', { name: new RegExp(`^@${n}\\b`) });
    await version(1).waitFor();
    await writeFile(syllabus, edited);
    await version(2).waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await version(2).textContent()) ?? '').toMatch(/edited/);
    await screenshot(page, 'file-history');

    // Compare @1 and @2: the added line.
    await version(1).click();
    await version(2).click();
    await page.getByText('Selected: @1 and @2.').waitFor();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const comparison = page.getByRole('region', { name: /^Comparison of/ });
    await comparison.waitFor({ timeout: 30_000 });
    expect(await comparison.textContent()).toContain('Week 2: sound');
    await screenshot(page, 'compare');

    // Roll back to @1 (confirmed): the file on disk is the original again, recorded as @3.
    await version(2).click(); // unpick: @1 stays picked
    await page.getByText('Selected: @1.').waitFor();
    await page.getByRole('button', { name: 'Roll back to @1' }).click();
    const confirm = page.getByRole('dialog', { name: 'Roll back syllabus.md to @1?' });
    await confirm.waitFor();
    await screenshot(page, 'rollback-confirm');
    await confirm.getByRole('button', { name: 'Roll back', exact: true }).click();
    await page.getByText(/Rolled back syllabus\.md to @1/).waitFor({ timeout: 30_000 });
    expect(await readFile(syllabus, 'utf8')).toBe(original);
    await version(3).waitFor({ timeout: 30_000 });
    expect(await version(3).textContent()).toMatch(/rolled back/);
    await screenshot(page, 'rollback');

    // Point in time: delete a file on disk, then put it back as it was at the first moment.
    await rm(lecture);
    const courseId = (await served.api('courses.list'))[0]?.id ?? '';
    await expect
      .poll(async () => (await served.api('files.list', { course: courseId })).find((file) => file.path === 'notes/lecture-1.md')?.deleted, {
        timeout: 30_000,
      })
      .toBe(true);
    await navigate(page, 'Point in time');
    const slider = page.getByRole('slider', { name: 'Timeline' });
    await slider.waitFor();
    await slider.focus();
    // The newest moment is the deletion; the one before it, the rollback: the file was still there.
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    const row = page.getByRole('row', { name: /notes\/lecture-1\.md/ });
    await row.getByText('Not on disk now').waitFor({ timeout: 30_000 });
    await screenshot(page, 'point-in-time');
    await page.getByRole('checkbox', { name: 'Select notes/lecture-1.md' }).check();
    await page.getByRole('button', { name: 'Restore here' }).click();
    const restore = page.getByRole('dialog', { name: 'Restore 1 file in place?' });
    await restore.waitFor();
    await restore.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByText(/Restored 1 file to/).waitFor({ timeout: 30_000 });
    expect(await readFile(lecture, 'utf8')).toBe(lectureText);
    expect(await readFile(syllabus, 'utf8')).toBe(original); // not selected: untouched
    await row.getByText('On disk', { exact: true }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'point-in-time-restored');

    // The other screens render.
    await navigate(page, 'Activity');
    await page.getByRole('list', { name: 'Activity, newest first' }).waitFor();
    await screenshot(page, 'activity');
    await navigate(page, 'Settings');
    await screenshot(page, 'settings');
    // The dashboard once a course is in use: its figures count the course.
    await navigate(page, 'Dashboard');
    const savedRegion = page.getByRole('region', { name: 'Space saved' });
    await savedRegion.waitFor();
    await expect.poll(async () => (await savedRegion.textContent()) ?? '').not.toMatch(/Nothing stored yet/);
    await screenshot(page, 'dashboard-in-use');
    // Dark theme, chosen in Settings, applies to every screen.
    await navigate(page, 'Settings');
    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await navigate(page, 'File history');
    await screenshot(page, 'file-history-dark');

    expect(cspViolations(session.problems)).toEqual([]);
    await page.close();
  });

  it('stops cleanly on SIGTERM while it watches a course (no kill needed)', async () => {
    expect(await served.stop()).toEqual({ code: 0, signal: null });
  });
});
});
