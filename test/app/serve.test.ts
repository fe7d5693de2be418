// The headless host over real sockets, with the service over in-memory fakes;
// also the renderer's HTTP client (and its event WebSocket) against it.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/engine/service/service';
import { ENGINE_VERSION } from '../../src/engine/version';
import { WebSocket } from 'ws';
import { createEventFeed, startHeadlessHost, type EventFeed, type HeadlessHost } from '../../src/serve/serve';
import { createApiClient, httpClient, pageToken, type ConnectionState, type EventSocket, type WebSocketFactory } from '../../src/renderer/api-client';
import type { RepoStatus, StrataEvent, StrataEvents } from '../../src/shared/api';
import { StrataError } from '../../src/shared/errors';
import { fakeEngine } from './fakes';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let dir: string;
let rendererDir: string;
let host: HeadlessHost;
let feed: ReturnType<typeof createEventFeed>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-serve-'));
  rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Strata test page</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("hi");');
  await writeFile(join(dir, 'secret.txt'), 'outside the renderer');
  await symlink(join(dir, 'secret.txt'), join(rendererDir, 'assets', 'leak.txt'));
  await symlink(rendererDir, join(rendererDir, 'assets', 'root'));
  await symlink(join(rendererDir, 'assets', 'app.js'), join(rendererDir, 'assets', 'alias.js'));
  feed = createEventFeed();
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

/** The static-files cookie the page load sets (a secret of its own, not the token). */
const cookie = () => `${host.assetCookie.name}=${host.assetCookie.value}`;

/** The `ws` package's WebSocket, as the renderer's client opens it in a browser. */
const nodeWebSocket: WebSocketFactory = (url, protocols) => new WebSocket(url, protocols) as unknown as EventSocket;

interface HandshakeReply {
  status: number;
  /** The subprotocol the host chose (101 only). */
  protocol?: string | undefined;
  body: string;
  /** Resolves when the host has closed the connection. */
  closed: Promise<void>;
  socket: Socket;
}

/** A raw WebSocket handshake, every header under the test's control (a browser sets Host and Origin itself). */
function handshake(
  path: string,
  options: { protocols?: string[]; headers?: Record<string, string>; port?: number } = {},
): Promise<HandshakeReply> {
  const port = options.port ?? host.port;
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Host: `127.0.0.1:${port}`,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...(options.protocols ? { 'Sec-WebSocket-Protocol': options.protocols.join(', ') } : {}),
        ...options.headers,
      },
    });
    const closedOf = (socket: Socket) =>
      new Promise<void>((done) => (socket.destroyed ? done() : socket.once('close', () => done())));
    req.on('upgrade', (res: IncomingMessage, socket: Socket) => {
      socket.on('error', () => {});
      resolve({ status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'], body: '', closed: closedOf(socket), socket });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const socket = res.socket;
      const closed = closedOf(socket);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, closed, socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the event socket as a browser page would; resolves once open. */
function openEvents(options: { protocols?: string[]; port?: number; autoPong?: boolean } = {}): Promise<WebSocket> {
  const port = options.port ?? host.port;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events`, options.protocols ?? ['strata', `token.${host.token}`], {
    origin: `http://127.0.0.1:${port}`,
    autoPong: options.autoPong ?? true,
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')))));
}

function closedSocket(socket: WebSocket): Promise<number> {
  return new Promise((resolve) =>
    socket.readyState === WebSocket.CLOSED ? resolve(socket.readyState) : socket.once('close', (code: number) => resolve(code)),
  );
}

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
    expect((await send('/assets/app.js', { headers: { Cookie: `${host.assetCookie.name}=nope` } })).status).toBe(403);
  });

  it('does not accept the token in the query for API calls', async () => {
    const reply = await send(`/api/app.version?token=${host.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(reply.status).toBe(401);
  });

  it('answers the tokenised page load with the page, the token moved to the fragment, and the static-files cookie', async () => {
    const entry = await send(`/?token=${host.token}`);
    expect(entry.status).toBe(303);
    expect(entry.headers.location).toBe(`/#token=${host.token}`);
    expect(entry.headers['referrer-policy']).toBe('no-referrer');
    const setCookie = String(entry.headers['set-cookie']);
    expect(setCookie).toContain(cookie());
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // Wherever the page load asked for, the redirect goes to the page itself (never a Location taken from the request).
    expect((await send(`//evil.example/?token=${host.token}`)).headers.location).toBe(`/#token=${host.token}`);

    const reply = await send('/', { headers: { Cookie: cookie() } });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('Strata test page');
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(reply.headers['content-security-policy']).not.toMatch(/unsafe/);
    // The event socket is same-origin: 'self' covers it (CSP 3), no ws: wildcard.
    expect(reply.headers['content-security-policy']).toMatch(/connect-src 'self';/);
    expect(reply.headers['content-security-policy']).not.toMatch(/ws:|\*/);
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('never puts the API token in a cookie: the cookie holds another secret, good for static files only', async () => {
    // Browsers send a 127.0.0.1 cookie to every port: whatever listens elsewhere on this machine receives it.
    const setCookie = String((await send(`/?token=${host.token}`)).headers['set-cookie']);
    const [name = '', value = ''] = (setCookie.split(';')[0] ?? '').split('=');
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    expect(value).not.toBe(host.token);
    expect(setCookie).not.toContain(host.token);
    const leaked = `${name}=${value}`;
    // It admits the page's files...
    expect((await send('/assets/app.js', { headers: { Cookie: leaked } })).status).toBe(200);
    // ...and nothing else: not the API (as a cookie or as a Bearer token), not the page load's token, not the events.
    expect((await api('app.version', undefined, { Authorization: '', Cookie: leaked })).status).toBe(401);
    expect((await api('app.version', undefined, { Authorization: `Bearer ${value}` })).status).toBe(403);
    expect((await send(`/?token=${value}`)).status).toBe(403);
    expect((await send('/api/events', { headers: { Cookie: leaked } })).status).toBe(401);
    expect((await handshake('/api/events', { protocols: ['strata', `token.${value}`] })).status).toBe(403);
    expect((await handshake('/api/events', { protocols: ['strata'], headers: { Cookie: leaked } })).status).toBe(401);
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

  it('follows symlinks only to files inside the renderer', async () => {
    const leak = await send('/assets/leak.txt', { headers: { Cookie: cookie() } });
    expect(leak.status).toBe(403);
    expect(leak.body).not.toContain('outside the renderer');
    expect((await send('/assets/root', { headers: { Cookie: cookie() } })).status).toBe(403);
    const alias = await send('/assets/alias.js', { headers: { Cookie: cookie() } });
    expect([alias.status, alias.body]).toEqual([200, 'console.log("hi");']);
  });

  it('refuses a Host header that is not 127.0.0.1 or localhost on its port (DNS rebinding)', async () => {
    const evil = await send(`/?token=${host.token}`, { headers: { Host: `evil.example:${host.port}` } });
    expect(evil.status).toBe(403);
    expect((await send(`/?token=${host.token}`, { headers: { Host: '127.0.0.1:1' } })).status).toBe(403);
    expect((await send(`/?token=${host.token}`, { headers: { Host: `localhost:${host.port}` } })).status).toBe(303);
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

describe('event WebSocket (/api/events)', () => {
  const protocols = () => ['strata', `token.${host.token}`];

  it('accepts the token as a subprotocol, answers "strata" (never the token) and pushes events as JSON', async () => {
    const socket = await openEvents();
    try {
      expect(socket.protocol).toBe('strata');
      const message = nextMessage(socket);
      const status: RepoStatus = { state: 'locked', path: '/data/repo', defaultPath: '/home/test/Strata' };
      feed.emit('repo.changed', status);
      expect(await message).toEqual({ name: 'repo.changed', payload: status } satisfies StrataEvent);
      // Every socket gets every event.
      const second = await openEvents();
      const both = Promise.all([nextMessage(socket), nextMessage(second)]);
      feed.emit('catalog.changed', { versions: 3 });
      expect(await both).toEqual([
        { name: 'catalog.changed', payload: { versions: 3 } },
        { name: 'catalog.changed', payload: { versions: 3 } },
      ]);
      second.close();
    } finally {
      socket.close();
    }
  });

  it('accepts the handshake from localhost on its port, as for HTTP', async () => {
    const reply = await handshake('/api/events', { protocols: protocols(), headers: { Host: `localhost:${host.port}`, Origin: `http://localhost:${host.port}` } });
    expect(reply.status).toBe(101);
    expect(reply.protocol).toBe('strata');
    reply.socket.destroy();
  });

  it.each([
    ['no token', 401, () => ({ protocols: ['strata'] })],
    ['no subprotocol at all', 400, () => ({})],
    ['a wrong token', 403, () => ({ protocols: ['strata', 'token.0123456789abcdef0123'] })],
    ['the token without the strata subprotocol', 400, () => ({ protocols: [`token.${host.token}`] })],
    ['the token as a Bearer header only', 400, () => ({ headers: { Authorization: `Bearer ${host.token}` } })],
    ['the token as a Bearer header, not as a subprotocol', 401, () => ({ protocols: ['strata'], headers: { Authorization: `Bearer ${host.token}` } })],
    ['the token in the query only', 401, () => ({ protocols: ['strata'], path: `/api/events?token=${host.token}` })],
    ['the cookie only (ambient: not accepted here)', 401, () => ({ protocols: ['strata'], headers: { Cookie: cookie() } })],
    ['the static-files secret as the token', 403, () => ({ protocols: ['strata', `token.${host.assetCookie.value}`] })],
    ['a foreign Origin', 403, () => ({ protocols: protocols(), headers: { Origin: 'https://evil.example' } })],
    ['another local Origin (other port)', 403, () => ({ protocols: protocols(), headers: { Origin: 'http://127.0.0.1:1' } })],
    ['a wrong Host (DNS rebinding)', 403, () => ({ protocols: protocols(), headers: { Host: `evil.example:${host.port}` } })],
    ['another path', 404, () => ({ protocols: protocols(), path: '/api/app.version' })],
  ] as const)('refuses a handshake with %s (%i) and closes the socket', async (_name, status, make) => {
    const options: { protocols?: string[]; headers?: Record<string, string>; path?: string } = make();
    const reply = await handshake(options.path ?? '/api/events', options);
    expect(reply.status).toBe(status);
    expect(reply.body).not.toContain(host.token);
    await reply.closed;
    expect(reply.socket.destroyed).toBe(true);
  });

  it('refuses with the ws client too (the error a page would see)', async () => {
    await expect(openEvents({ protocols: ['strata', 'token.wrong-token-wrong-token'] })).rejects.toThrow(/HTTP 403/);
    await expect(openEvents({ protocols: ['strata'] })).rejects.toThrow(/HTTP 401/);
  });

  it('answers a plain GET of /api/events with 426 Upgrade Required (no more server-sent events)', async () => {
    expect((await send('/api/events', { headers: { Authorization: `Bearer ${host.token}` } })).status).toBe(426);
    expect((await send('/api/events')).status).toBe(401);
  });
});

describe('event WebSocket heartbeat', () => {
  let beating: HeadlessHost;
  let beatingFeed: EventFeed & { emit: <E extends keyof StrataEvents>(name: E, payload: StrataEvents[E]) => void };

  beforeAll(async () => {
    beatingFeed = createEventFeed();
    beating = await startHeadlessHost({
      rendererDir,
      service: createService(fakeEngine(), beatingFeed.emit),
      events: beatingFeed,
      token: host.token,
      pingIntervalMs: 40,
      onInternalError: () => {},
    });
  });
  afterAll(async () => {
    await beating?.close();
  });

  it('pings clients, keeps those that answer and drops those that do not', async () => {
    const live = await openEvents({ port: beating.port });
    const dead = await openEvents({ port: beating.port, autoPong: false });
    let pings = 0;
    live.on('ping', () => pings++);
    await closedSocket(dead); // dropped after one unanswered ping
    expect(pings).toBeGreaterThanOrEqual(1);
    await new Promise((wait) => setTimeout(wait, 200));
    expect(live.readyState).toBe(WebSocket.OPEN);
    const message = nextMessage(live);
    beatingFeed.emit('catalog.changed', { versions: 1 });
    expect(await message).toEqual({ name: 'catalog.changed', payload: { versions: 1 } });
    live.close();
  });

  it('closes open event sockets when the host closes', async () => {
    const extra = await startHeadlessHost({ rendererDir, service: createService(fakeEngine()), events: createEventFeed(), token: host.token });
    const socket = await openEvents({ port: extra.port });
    const closed = closedSocket(socket);
    await extra.close();
    await closed;
    expect(socket.readyState).toBe(WebSocket.CLOSED);
  });
});

describe("the renderer's HTTP client against the headless host", () => {
  const client = () => httpClient({ baseUrl: `http://127.0.0.1:${host.port}`, token: host.token, webSocket: nodeWebSocket });

  it("takes the token from the page URL's fragment, where `strata serve` puts it (never sent to a server)", async () => {
    const page = (hash: string) => createApiClient({ bridge: undefined, location: { origin: `http://127.0.0.1:${host.port}`, hash } });
    expect(await page(`#token=${host.token}`).call('app.version')).toEqual({ engine: ENGINE_VERSION });
    await expect(page('').call('app.version')).rejects.toThrow(/not authorised/);
    expect(pageToken(`#token=${host.token}`)).toBe(host.token);
    expect(pageToken('#other=1')).toBe('');
  });

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

  it('receives engine events over the event socket', async () => {
    const strata = client();
    await strata.call('repo.create', { path: '/data/repo', passphrase: 'correct horse' });
    const changes: RepoStatus[] = [];
    const stop = strata.on('repo.changed', (status) => changes.push(status));
    try {
      // The socket connects asynchronously: lock and unlock until its events arrive.
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

describe("the renderer client's connection state", () => {
  it('goes connecting -> online, offline while the host is down, online again after it comes back (same port and token)', async () => {
    const token = randomBytes(32).toString('hex');
    const firstFeed = createEventFeed();
    let current = await startHeadlessHost({ rendererDir, service: createService(fakeEngine(), firstFeed.emit), events: firstFeed, token });
    const port = current.port;
    const strata = httpClient({ baseUrl: `http://127.0.0.1:${port}`, token, webSocket: nodeWebSocket, backoff: { initialMs: 20, maxMs: 100 } });
    const states: ConnectionState[] = [];
    const received: number[] = [];
    const stopWatching = strata.onConnection((state) => states.push(state));
    const stopListening = strata.on('catalog.changed', ({ versions }) => received.push(versions));
    try {
      expect(states).toEqual(['connecting']);
      await expect.poll(() => states.at(-1)).toBe('online');
      firstFeed.emit('catalog.changed', { versions: 1 });
      await expect.poll(() => received).toEqual([1]);

      await current.close();
      await expect.poll(() => states.at(-1)).toBe('offline');

      const secondFeed = createEventFeed();
      current = await startHeadlessHost({ port, rendererDir, service: createService(fakeEngine(), secondFeed.emit), events: secondFeed, token });
      await expect.poll(() => states.at(-1), { timeout: 5_000 }).toBe('online');
      secondFeed.emit('catalog.changed', { versions: 2 });
      await expect.poll(() => received).toEqual([1, 2]);
      expect(states).toEqual(['connecting', 'online', 'offline', 'online']);
    } finally {
      stopListening();
      stopWatching();
      await current.close();
    }
  });

  it('stays offline and keeps retrying with a wrong token', async () => {
    const strata = httpClient({
      baseUrl: `http://127.0.0.1:${host.port}`,
      token: 'wrong-token-wrong-token',
      webSocket: nodeWebSocket,
      backoff: { initialMs: 10, maxMs: 40 },
    });
    const states: ConnectionState[] = [];
    const stop = strata.onConnection((state) => states.push(state));
    try {
      await expect.poll(() => states.at(-1)).toBe('offline');
      await new Promise((wait) => setTimeout(wait, 150));
      expect(states).not.toContain('online');
    } finally {
      stop();
    }
  });

  it('is always online over an in-process or IPC transport', async () => {
    const { localClient, bridgeClient } = await import('../../src/renderer/api-client');
    const seen: ConnectionState[] = [];
    localClient({}).onConnection((state) => seen.push(state))();
    bridgeClient({ invoke: () => Promise.reject(new Error('unused')), on: () => () => {} }).onConnection((state) => seen.push(state))();
    expect(seen).toEqual(['online', 'online']);
  });
});
