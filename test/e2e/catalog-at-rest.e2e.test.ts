// End to end (issue 10, point 8): the browser's offline catalog outlives
// `strata serve`. After the server exits, another server on the same
// 127.0.0.1 port serves a page of the same origin, which can read every
// IndexedDB database the app left. It must find only sealed rows: no course
// name or path, no file name, author or checksum. Skipped like app.e2e.test.ts
// where Chromium or the build is missing.

import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSettled } from '../helpers';
import { e2eUnavailable, launchBrowser, startServe, type BrowserSession, type Served } from './harness';

const unavailable = e2eUnavailable();
if (unavailable) console.warn(`[e2e] SKIPPED: ${unavailable} (set STRATA_REQUIRE_E2E=1 to make this an error)`);

const PASSPHRASE = 'correct horse battery';

describe.skipIf(unavailable !== undefined)('the browser catalog after strata serve exits', () => {
  let session: BrowserSession;
  let served: Served | undefined;

  beforeAll(async () => {
    session = await launchBrowser();
  });

  afterAll(async () => {
    await served?.stop();
    await session?.close();
  });

  it('leaves a later page on the same origin nothing readable', async () => {
    served = await startServe({ env: { STRATA_AUTHOR: 'Ada Lovelace <ada@example.org>' } });
    const course = join(served.home, 'Courses', 'Quantum Ceramics');
    await writeSettled(join(course, 'notes', 'secret-plan.md'), 'the midterm answers\n');
    await served.api('repo.create', { path: served.repoPath, passphrase: PASSPHRASE });
    const added = await served.api('courses.add', { path: course });
    const versions = (await served.api('catalog.changes', { cursor: {} })).versions;
    expect(versions.map((v) => v.path)).toEqual(['notes/secret-plan.md']);
    const secrets = [added.name, course, served.home, served.repoPath, 'secret-plan', 'Lovelace', 'midterm', versions[0]?.sha256 ?? 'no checksum'];

    // The app fills its catalog: the course shows on the Courses screen (read from the catalog).
    const { page } = session;
    await page.goto(served.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Courses', exact: true }).click();
    await page.getByRole('rowheader', { name: /Quantum Ceramics/ }).waitFor({ timeout: 30_000 });
    const port = served.port;
    await served.stop();
    served = undefined;

    // Another server takes the port: a page of the same origin.
    const later = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>a later page</title>');
    });
    await new Promise<void>((listening) => later.listen(port, '127.0.0.1', listening));
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      const found = (await page.evaluate(READ_ALL_INDEXED_DB)) as { names: string[]; rows: number; text: string };
      // The catalog is there (sealed), and nothing in it reads.
      expect(found.names.some((name) => name.startsWith('strata-catalog-'))).toBe(true);
      expect(found.rows).toBeGreaterThan(0);
      for (const secret of secrets) expect(found.text).not.toContain(secret);
    } finally {
      await new Promise((closed) => later.close(closed));
    }
  });
});

// Runs in the page (a string: this file is typed without the DOM): every database of the
// origin, every store's rows, bytes as latin1 and UTF-8.
const READ_ALL_INDEXED_DB = `(async () => {
  const names = (await indexedDB.databases()).map((d) => d.name ?? '');
  const parts = [];
  let rows = 0;
  const asText = (key, value) => {
    if (!(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) return value;
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return Array.from(bytes, (b) => String.fromCharCode(b)).join('') + ' ' + new TextDecoder().decode(bytes);
  };
  for (const name of names) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const store of Array.from(db.objectStoreNames)) {
      const values = await new Promise((resolve, reject) => {
        const request = db.transaction(store, 'readonly').objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      rows += values.length;
      parts.push(name + '/' + store + ': ' + JSON.stringify(values, asText));
    }
    db.close();
  }
  return { names, rows, text: parts.join('\\n') };
})()`;
