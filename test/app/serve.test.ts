// The headless host over real sockets, with the service over in-memory fakes;
// also the renderer's HTTP client against it.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/engine/service';
import { ENGINE_VERSION } from '../../src/engine/version';
import { createEventFeed, startHeadlessHost, type HeadlessHost } from '../../src/cli/serve';
import { httpClient } from '../../src/renderer/api-client';
import type { RepoStatus } from '../../src/shared/api';
import { StrataError } from '../../src/shared/errors';
import { fakeEngine } from './fakes';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let dir: string;
let host: HeadlessHost;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-serve-'));
  const rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Strata test page</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("hi");');
  await writeFile(join(dir, 'secret.txt'), 'outside the renderer');
  const feed = createEventFeed();
  host = await startHeadlessHost({
    port: 0,
    rendererDir,
    service: createService(fakeEngine('/home/test/Strata'), feed.emit),
    events: feed,
    onInternalError: () => {},
  });
});

afterAll(async () => {
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A raw HTTP request (fetch cannot set Host or send un-normalised paths). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: host.port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: `127.0.0.1:${host.port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function api(method: string, args?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return send(`/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${host.token}`, ...headers },
    body: JSON.stringify({ args }),
  });
}

const cookie = () => `strata-token-${host.port}=${host.token}`;

describe('headless host', () => {
  it('listens on 127.0.0.1 with a random 32-byte token in the URL', () => {
    expect(host.token).toMatch(/^[0-9a-f]{64}$/);
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
  });

  it('refuses requests without the token', async () => {
    expect((await send('/')).status).toBe(401);
    expect((await send('/assets/app.js')).status).toBe(401);
    expect((await api('app.version', undefined, { Authorization: '' })).status).toBe(401);
  });

  it('refuses a wrong token', async () => {
    expect((await send('/?token=0123456789abcdef0123')).status).toBe(403);
    expect((await api('app.version', undefined, { Authorization: 'Bearer nope' })).status).toBe(403);
    expect((await send('/assets/app.js', { headers: { Cookie: `strata-token-${host.port}=nope` } })).status).toBe(403);
  });

  it('does not accept the token in the query for API calls', async () => {
    const reply = await send(`/api/app.version?token=${host.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(reply.status).toBe(401);
  });

  it('serves index.html for the tokenised page load, with the security headers and the cookie', async () => {
    const reply = await send(`/?token=${host.token}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('Strata test page');
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(reply.headers['content-security-policy']).not.toMatch(/unsafe/);
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    const setCookie = String(reply.headers['set-cookie']);
    expect(setCookie).toContain(cookie());
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
  });

  it("serves the page's assets to the cookie, with their content type", async () => {
    const reply = await send('/assets/app.js', { headers: { Cookie: cookie() } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(reply.body).toBe('console.log("hi");');
    expect((await send('/assets/none.js', { headers: { Cookie: cookie() } })).status).toBe(404);
    expect((await send('/assets', { headers: { Cookie: cookie() } })).status).toBe(404);
  });

  it.each(['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt'])(
    'refuses path traversal: %s',
    async (path) => {
      const reply = await send(path, { headers: { Cookie: cookie() } });
      expect([400, 403, 404]).toContain(reply.status);
      expect(reply.body).not.toContain('outside the renderer');
    },
  );

  it('refuses a Host header that is not 127.0.0.1 or localhost on its port (DNS rebinding)', async () => {
    const evil = await send(`/?token=${host.token}`, { headers: { Host: `evil.example:${host.port}` } });
    expect(evil.status).toBe(403);
    expect((await send(`/?token=${host.token}`, { headers: { Host: '127.0.0.1:1' } })).status).toBe(403);
    expect((await send(`/?token=${host.token}`, { headers: { Host: `localhost:${host.port}` } })).status).toBe(200);
  });

  it('refuses cross-origin API calls even with the token', async () => {
    expect((await api('app.version', undefined, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await api('app.version', undefined, { Origin: `http://localhost:${host.port}` })).status).toBe(200);
  });

  it('answers API calls with { result }', async () => {
    const reply = await api('app.version');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(reply.body)).toEqual({ result: { engine: ENGINE_VERSION } });
  });

  it('answers contract errors with { error } and a non-2xx status', async () => {
    const invalid = await api('repo.create', { path: 'relative', passphrase: 'correct horse' });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field: 'path' } });
    const locked = await api('folders.backup', { path: '/courses/a' });
    expect(locked.status).toBe(409);
    expect(JSON.parse(locked.body)).toMatchObject({ error: { code: 'LOCKED' } });
  });

  it('answers unknown methods with 404', async () => {
    const reply = await api('engine.selfDestruct');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await api('toString')).status).toBe(404);
    expect((await api('__proto__')).status).toBe(404);
  });

  it('refuses malformed API requests', async () => {
    const auth = { Authorization: `Bearer ${host.token}` };
    expect((await send('/api/app.version', { headers: auth })).status).toBe(405);
    expect((await send('/api/app.version', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    const badJson = await send('/api/app.version', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    expect(badJson.status).toBe(400);
    const huge = await send('/api/app.version', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ args: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });
});

describe("the renderer's HTTP client against the headless host", () => {
  const client = () => httpClient({ baseUrl: `http://127.0.0.1:${host.port}`, token: host.token });

  it('calls methods and rebuilds contract errors as StrataError', async () => {
    expect(await client().call('app.version')).toEqual({ engine: ENGINE_VERSION });
    const err = await client()
      .call('repo.unlock', { path: '/nowhere', passphrase: 'correct horse' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect(err).toMatchObject({ code: 'NO_REPOSITORY', field: 'path' });
  });

  it('says clearly when the token is wrong', async () => {
    const bad = httpClient({ baseUrl: `http://127.0.0.1:${host.port}`, token: 'wrong-token-wrong-token' });
    await expect(bad.call('app.version')).rejects.toThrow(/not authorised/);
  });

  it('receives engine events over the event stream', async () => {
    const strata = client();
    await strata.call('repo.create', { path: '/data/repo', passphrase: 'correct horse' });
    const changes: RepoStatus[] = [];
    const stop = strata.on('repo.changed', (status) => changes.push(status));
    try {
      // The stream connects asynchronously: lock and unlock until its events arrive.
      await expect
        .poll(
          async () => {
            await strata.call('repo.lock');
            await strata.call('repo.unlock', { path: '/data/repo', passphrase: 'correct horse' });
            return changes.find((status) => status.state === 'unlocked');
          },
          { timeout: 5_000, interval: 50 },
        )
        .toEqual({ state: 'unlocked', path: '/data/repo', defaultPath: '/home/test/Strata' });
    } finally {
      stop();
    }
  });
});
