// The headless host behind `strata serve`: the built renderer and the shared
// API over HTTP on 127.0.0.1, and the engine's events over a WebSocket, for a
// browser instead of Electron.
//
// Threat model: other local users and processes, and web pages in the user's
// browser, can reach 127.0.0.1. So:
// - bound to 127.0.0.1 only; the Host header must name it (DNS rebinding);
// - the API token never travels in a cookie: browsers do not keep cookies
//   apart by port, so every server on 127.0.0.1 would receive it. The page
//   load (`/?token=`, the URL the CLI prints) is answered with a redirect to
//   `/#token=`: the page reads the token from the fragment, which is never
//   sent to any server, and keeps it in memory only; the redirect sets an
//   HttpOnly SameSite=Strict cookie with a second, unrelated secret that
//   admits the page's own static files and nothing else (not the API, not the
//   events), so a server that receives it learns only how to fetch the public
//   renderer;
// - API calls carry the token as `Authorization: Bearer`, which a cross-site
//   page cannot send without a CORS preflight that we never grant;
// - the event WebSocket (/api/events) takes the token only as a subprotocol:
//   the page opens it with protocols ['strata', 'token.<TOKEN>'] and the host
//   answers 'strata' (never echoing the token). The browser WebSocket API
//   cannot set headers, and the cookie is deliberately NOT accepted there: a
//   cookie is ambient (any page on 127.0.0.1, whatever its port, is same-site
//   and the browser attaches it to a cross-site WebSocket handshake, the
//   classic cross-site WebSocket hijacking), while the subprotocol is an
//   explicit credential only script that already knows the token can send,
//   like the Bearer header of API calls. Host and Origin are checked as for
//   HTTP; a refused handshake gets 401/403 and its socket is destroyed;
// - tokens are compared in constant time (SHA-256 digests, timingSafeEqual);
// - cross-origin requests (an Origin header that is not ours) are refused;
// - static files only from rendererDir, no traversal; the app's CSP and
//   no-referrer (the token is in the page URL's fragment) on every response.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, resolve } from 'node:path';
import {
  isApiMethod,
  type ApiError,
  type ApiErrorCode,
  type EventSink,
  type StrataApi,
  type StrataEvent,
} from '../shared/api';
import { CONTENT_SECURITY_POLICY_HEADER } from '../shared/csp';
import { isAtOrBelow } from '../engine/service/args';
import { dispatch } from '../engine/service/service';
import { WebSocketServer, type WebSocket } from 'ws';

export interface HeadlessHostOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  service: StrataApi;
  /** The API secret; default 32 random bytes in hex. URL-safe characters only. */
  token?: string;
  /** The service's events, pushed to the page over the WebSocket at /api/events. */
  events?: EventFeed;
  /** How often the host pings each event socket; one missed pong and the socket is dropped. Default 30 s. */
  pingIntervalMs?: number;
  /** Where unexpected (INTERNAL) failures are reported; default console.error. */
  onInternalError?: (err: unknown) => void;
}

export interface HeadlessHost {
  /** http://127.0.0.1:PORT/?token=... — the page, ready to open. */
  url: string;
  /** The API token (Bearer, event subprotocol, the printed URL). */
  token: string;
  /** The static-files cookie: its name and value. Admits the renderer's files only, never the API or the events. */
  assetCookie: { name: string; value: string };
  port: number;
  close(): Promise<void>;
}

export interface EventFeed {
  subscribe(listener: (event: StrataEvent) => void): () => void;
}

/** A feed to pass to createService (emit) and to the host (events). */
export function createEventFeed(): EventFeed & { emit: EventSink } {
  const listeners = new Set<(event: StrataEvent) => void>();
  return {
    emit: (name, payload) => {
      const event = { name, payload } as StrataEvent;
      for (const listener of listeners) listener(event);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const MAX_BODY_BYTES = 1024 * 1024;
/** The event socket's subprotocol, and the prefix of the one that carries the token. */
const EVENTS_PROTOCOL = 'strata';
const TOKEN_PROTOCOL_PREFIX = 'token.';
/** A client this far behind on events is too slow (or gone): dropped, it reconnects and reloads. */
const MAX_EVENT_BACKLOG_BYTES = 8 * 1024 * 1024;
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,}$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const ERROR_STATUS: Record<ApiErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  NO_REPOSITORY: 404,
  WRONG_PASSPHRASE: 422,
  REPO_EXISTS: 409,
  LOCKED: 409,
  PERMISSION_DENIED: 403,
  CANCELLED: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** A refusal at the HTTP level (auth, routing, limits), answered in plain text. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startHeadlessHost(options: HeadlessHostOptions): Promise<HeadlessHost> {
  const token = options.token ?? randomBytes(32).toString('hex');
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error('The token must be at least 16 characters of A-Z a-z 0-9 . _ ~ -');
  }
  const tokenDigest = digest(token);
  // Unrelated to the token: whoever receives the cookie learns nothing of it.
  const assetSecret = randomBytes(32).toString('hex');
  const assetDigest = digest(assetSecret);
  const rendererRoot = await realpath(options.rendererDir);
  const onInternalError = options.onInternalError ?? ((err: unknown) => console.error('strata serve:', err));
  let port = 0; // known once listening; every check below runs after that
  const cookieName = () => `strata-assets-${port}`; // per port: cookies ignore ports

  function matchesToken(candidate: string | undefined): boolean {
    return candidate !== undefined && timingSafeEqual(digest(candidate), tokenDigest);
  }

  function matchesAssetSecret(candidate: string | undefined): boolean {
    return candidate !== undefined && timingSafeEqual(digest(candidate), assetDigest);
  }

  /** Throws unless the request names us (Host: DNS rebinding) and, if it says where it comes from, comes from us. */
  function checkHostAndOrigin(req: IncomingMessage): void {
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(req.headers.host ?? '')) {
      throw new HttpRefusal(403, 'Forbidden: unexpected Host header.');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts.some((host) => origin === `http://${host}`)) {
      throw new HttpRefusal(403, 'Forbidden: cross-origin request.');
    }
  }

  /** Throws unless one of the offered credentials is good: 401 when none is offered, 403 when wrong. */
  function checkCredentials(offered: Array<{ value: string | undefined; good: (value: string) => boolean }>): void {
    const candidates = offered.filter((candidate): candidate is { value: string; good: (value: string) => boolean } => candidate.value !== undefined);
    if (candidates.length === 0) {
      throw new HttpRefusal(401, 'Unauthorized: open the address `strata serve` printed; it carries the token.');
    }
    if (!candidates.some((candidate) => candidate.good(candidate.value))) throw new HttpRefusal(403, 'Forbidden: wrong token.');
  }

  function checkToken(offered: Array<string | undefined>): void {
    checkCredentials(offered.map((value) => ({ value, good: matchesToken })));
  }

  /** Throws unless the request is for us, from us, with the API token as a Bearer header. */
  function authoriseApi(req: IncomingMessage): void {
    checkHostAndOrigin(req);
    checkToken([bearer(req.headers.authorization)]);
  }

  async function serveApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!isApiMethod(method)) {
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `Unknown method: ${method}` } });
      return;
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      throw new HttpRefusal(415, 'Unsupported media type: send application/json.');
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof HttpRefusal) throw err;
      sendJson(res, 400, { error: { code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON.' } });
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendJson(res, 400, { error: { code: 'INVALID_ARGUMENT', message: 'Expected a JSON object { "args": ... }.' } });
      return;
    }
    const args = (body as { args?: unknown }).args;
    const response = await dispatch(options.service, method, args === undefined ? [] : [args], onInternalError);
    if ('error' in response) sendJson(res, ERROR_STATUS[response.error.code], response);
    else sendJson(res, 200, response);
  }

  // ---- events: one WebSocket per page, JSON StrataEvent messages, server to page only.
  const sockets = new WebSocketServer({
    noServer: true,
    clientTracking: true,
    // Pages send nothing on this socket; anything but a tiny frame is abuse.
    maxPayload: 1024,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });
  const alive = new WeakSet<WebSocket>();

  function acceptEvents(socket: WebSocket): void {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    // Nothing is expected from the page: ignore what it sends (maxPayload bounds it).
    socket.on('message', () => {});
    socket.on('error', () => socket.terminate());
    const unsubscribe = options.events?.subscribe((event) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_EVENT_BACKLOG_BYTES) {
        socket.terminate();
        return;
      }
      socket.send(JSON.stringify(event));
    });
    socket.once('close', () => unsubscribe?.());
  }

  // Dead peers (a laptop lid closed, a killed tab) never send a close frame:
  // ping everyone; whoever did not answer the previous ping is dropped.
  const heartbeat = setInterval(() => {
    for (const socket of sockets.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, options.pingIntervalMs ?? 30_000);
  heartbeat.unref();

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      const rawPath = (req.url ?? '/').split('?', 1)[0];
      if (rawPath !== '/api/events') throw new HttpRefusal(404, 'Not found: the only WebSocket is /api/events.');
      if (req.method !== 'GET') throw new HttpRefusal(405, 'Method not allowed.');
      checkHostAndOrigin(req);
      const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((value) => value.trim());
      if (!protocols.includes(EVENTS_PROTOCOL)) {
        throw new HttpRefusal(400, `Bad request: offer the '${EVENTS_PROTOCOL}' subprotocol.`);
      }
      const offered = protocols.filter((value) => value.startsWith(TOKEN_PROTOCOL_PREFIX));
      checkToken(offered.map((value) => value.slice(TOKEN_PROTOCOL_PREFIX.length)));
    } catch (err) {
      const refusal = err instanceof HttpRefusal ? err : new HttpRefusal(500, 'Internal error.');
      if (!(err instanceof HttpRefusal)) onInternalError(err);
      refuseUpgrade(socket, refusal);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => acceptEvents(ws));
  }

  /**
   * The page load with the token in the query: to the page with the token in
   * the fragment (read by the page, never sent anywhere), with the static-files
   * cookie. Always to `/`: the Location is ours, never taken from the request.
   */
  function enterPage(res: ServerResponse): void {
    const location = `/#token=${token}`;
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      Location: location,
      'Set-Cookie': `${cookieName()}=${assetSecret}; Path=/; HttpOnly; SameSite=Strict`,
      'Content-Length': '0',
    });
    res.end();
  }

  /** Throws unless a static request is for us, from us, with the static-files cookie (or the API token as Bearer). */
  function authoriseStatic(req: IncomingMessage): void {
    checkHostAndOrigin(req);
    checkCredentials([
      { value: bearer(req.headers.authorization), good: matchesToken },
      { value: cookie(req.headers.cookie, cookieName()), good: matchesAssetSecret },
    ]);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const file = await resolveStatic(rendererRoot, rawPath);
    const body = await readFile(file);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const rawPath = rawUrl.split('?', 1)[0] ?? '/';
    // Parsed only for the query: the path is checked raw, before any normalising.
    const url = new URL(rawUrl, 'http://127.0.0.1');
    if (rawPath === '/api/events') {
      // Reached only without an Upgrade header: the events are a WebSocket now.
      authoriseApi(req);
      res.setHeader('Upgrade', 'websocket');
      throw new HttpRefusal(426, 'Upgrade required: /api/events is a WebSocket.');
    } else if (rawPath.startsWith('/api/')) {
      if (req.method !== 'POST') throw new HttpRefusal(405, 'Method not allowed: API calls are POST.');
      authoriseApi(req);
      await serveApi(req, res, safeDecode(rawPath.slice('/api/'.length)));
    } else {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpRefusal(405, 'Method not allowed.');
      const offered = url.searchParams.get('token');
      if (offered !== null) {
        checkHostAndOrigin(req);
        checkToken([offered]);
        enterPage(res);
        return;
      }
      authoriseStatic(req);
      await serveStatic(req, res, rawPath);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpRefusal) {
        // The body of a refused upload is left unread: end the connection with it.
        if (err.status === 413) res.setHeader('Connection', 'close');
        sendText(res, err.status, err.message);
      } else {
        onInternalError(err);
        sendText(res, 500, 'Internal error.');
      }
    });
  });
  server.on('upgrade', handleUpgrade);

  await new Promise<void>((resolveListen, rejectListen) => {
    const failed = (err: Error): void => {
      clearInterval(heartbeat);
      rejectListen(err);
    };
    server.once('error', failed);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', failed);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    assetCookie: { name: cookieName(), value: assetSecret },
    port,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        clearInterval(heartbeat);
        server.close((err) => (err ? rejectClose(err) : resolveClose()));
        // Upgraded sockets are no longer the HTTP server's to close; idle keep-alive ones are.
        for (const socket of sockets.clients) socket.terminate();
        sockets.close();
        server.closeAllConnections();
      }),
  };
}

/** The file under root a URL path names; refuses traversal and anything outside root. */
async function resolveStatic(root: string, rawPath: string): Promise<string> {
  const segments = rawPath.split('/').filter((segment) => segment !== '');
  const decoded = segments.map(safeDecode);
  if (
    segments.some((segment) => segment === '.' || segment === '..') ||
    decoded.some((segment) => segment === '.' || segment === '..' || /[\\/\0]/.test(segment) || segment.includes(':'))
  ) {
    throw new HttpRefusal(403, 'Forbidden: path.');
  }
  const candidate = decoded.length === 0 ? join(root, 'index.html') : join(root, ...decoded);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new HttpRefusal(404, 'Not found.');
  }
  // Symlinks could still lead out of root (or back to root itself).
  if (real === root || !isAtOrBelow(real, root)) {
    throw new HttpRefusal(403, 'Forbidden: path.');
  }
  if (!(await stat(real)).isFile()) throw new HttpRefusal(404, 'Not found.');
  return resolve(real);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpRefusal(400, 'Bad request: malformed URL encoding.');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpRefusal(413, 'Request body too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

// Equal-length digests let timingSafeEqual compare tokens of any length.
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sendJson(res: ServerResponse, status: number, body: { result: unknown } | { error: ApiError }): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Answers a refused WebSocket handshake on the raw socket, then destroys it. */
function refuseUpgrade(socket: Duplex, refusal: HttpRefusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = refusal.message;
  // Destroyed once the answer is flushed, or at once if the peer stalls.
  const stalled = setTimeout(() => socket.destroy(), 1_000);
  stalled.unref();
  socket.once('finish', () => {
    clearTimeout(stalled);
    socket.destroy();
  });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Refused'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
