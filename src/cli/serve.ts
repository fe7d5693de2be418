// The headless host behind `strata serve`: the built renderer and the shared
// API over HTTP on 127.0.0.1, for a browser instead of Electron.
//
// Threat model: other local users and processes, and web pages in the user's
// browser, can reach 127.0.0.1. So:
// - bound to 127.0.0.1 only; the Host header must name it (DNS rebinding);
// - every request carries the secret token: `?token=` on the page load (the
//   URL the CLI prints), which also sets an HttpOnly SameSite=Strict cookie for
//   the page's own assets; `Authorization: Bearer` on API calls, which a
//   cross-site page cannot send without a CORS preflight that we never grant;
// - cross-origin requests (an Origin header that is not ours) are refused;
// - static files only from rendererDir, no traversal; the app's CSP and
//   no-referrer (the token is in the page URL) on every response.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  isApiMethod,
  type ApiError,
  type ApiErrorCode,
  type EventSink,
  type StrataApi,
  type StrataEvent,
} from '../shared/api';
import { CONTENT_SECURITY_POLICY_HEADER } from '../shared/csp';
import { dispatch } from '../engine/service';

export interface HeadlessHostOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  service: StrataApi;
  /** The secret; default 32 random bytes in hex. URL- and cookie-safe characters only. */
  token?: string;
  /** The service's events, streamed to the page at GET /api/events. */
  events?: EventFeed;
  /** Where unexpected (INTERNAL) failures are reported; default console.error. */
  onInternalError?: (err: unknown) => void;
}

export interface HeadlessHost {
  /** http://127.0.0.1:PORT/?token=... — the page, ready to open. */
  url: string;
  token: string;
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
  const rendererRoot = await realpath(options.rendererDir);
  const onInternalError = options.onInternalError ?? ((err: unknown) => console.error('strata serve:', err));
  let port = 0; // known once listening; every check below runs after that
  const cookieName = () => `strata-token-${port}`; // per port: cookies ignore ports

  function matchesToken(candidate: string | undefined): boolean {
    return candidate !== undefined && timingSafeEqual(digest(candidate), tokenDigest);
  }

  /** Throws unless the request is for us, from us, with the token in an accepted place. */
  function authorise(req: IncomingMessage, url: URL, accept: { query: boolean; cookie: boolean }): void {
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(req.headers.host ?? '')) {
      throw new HttpRefusal(403, 'Forbidden: unexpected Host header.');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts.some((host) => origin === `http://${host}`)) {
      throw new HttpRefusal(403, 'Forbidden: cross-origin request.');
    }
    const offered = [
      bearer(req.headers.authorization),
      accept.query ? (url.searchParams.get('token') ?? undefined) : undefined,
      accept.cookie ? cookie(req.headers.cookie, cookieName()) : undefined,
    ].filter((value): value is string => value !== undefined);
    if (offered.length === 0) {
      throw new HttpRefusal(401, 'Unauthorized: open the address `strata serve` printed; it carries the token.');
    }
    if (!offered.some(matchesToken)) throw new HttpRefusal(403, 'Forbidden: wrong token.');
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

  function serveEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    res.write(': strata events\n\n');
    const unsubscribe = options.events?.subscribe((event) => {
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    // Keeps idle proxies and the client's reader from timing the stream out.
    const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
    req.on('close', () => {
      clearInterval(ping);
      unsubscribe?.();
    });
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, rawPath: string, setCookie: boolean): Promise<void> {
    const file = await resolveStatic(rendererRoot, rawPath);
    const body = await readFile(file);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
    };
    if (setCookie) headers['Set-Cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const rawPath = rawUrl.split('?', 1)[0] ?? '/';
    // Parsed only for the query: the path is checked raw, before any normalising.
    const url = new URL(rawUrl, 'http://127.0.0.1');
    if (rawPath === '/api/events') {
      if (req.method !== 'GET') throw new HttpRefusal(405, 'Method not allowed.');
      authorise(req, url, { query: false, cookie: true });
      serveEvents(req, res);
    } else if (rawPath.startsWith('/api/')) {
      if (req.method !== 'POST') throw new HttpRefusal(405, 'Method not allowed: API calls are POST.');
      authorise(req, url, { query: false, cookie: false });
      await serveApi(req, res, safeDecode(rawPath.slice('/api/'.length)));
    } else {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpRefusal(405, 'Method not allowed.');
      authorise(req, url, { query: true, cookie: true });
      await serveStatic(req, res, rawPath, matchesToken(url.searchParams.get('token') ?? undefined));
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

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        server.close((err) => (err ? rejectClose(err) : resolveClose()));
        // Event streams never end on their own.
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
  // Symlinks could still lead out of root.
  const rel = relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
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

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
