// A faulty network between an S3 client and a real S3 server, for tests: an
// HTTP proxy on 127.0.0.1 that forwards each request to the server and, on a
// schedule drawn from a seed, breaks some of them the ways real networks and
// servers do: 500 InternalError and 503 SlowDown answers, connections reset
// before the request reaches the server or after it did (the ambiguous "did
// my PUT land?" case), response bodies cut off mid-way, and requests never
// answered (the client's timeout must give up). It counts what it injected.
//
// Requests and responses are buffered whole: objects in tests are small, and
// a whole upstream response is what lets a fault cut it at a known point.

import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const FAULT_KINDS = ['internalError', 'slowDown', 'resetBeforeForward', 'resetAfterForward', 'truncatedBody', 'timeout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultProxyOptions {
  /** The server's endpoint, e.g. http://127.0.0.1:7480. */
  target: string;
  seed: number;
  /** Chance per request of each fault; they are exclusive, so the sum must be at most 1. */
  rates: Partial<Record<FaultKind, number>>;
  /** At most this many of a kind (timeouts cost the client's whole timeout each). */
  max?: Partial<Record<FaultKind, number>>;
  /**
   * Owe every kind with a rate until it has happened once: a request that
   * draws no fault takes the first owed kind it can with chance 1/2, so even
   * a run of a few dozen requests sees each kind (tests assert that).
   */
  ensureEach?: boolean;
}

export interface FaultProxy {
  /** Where clients connect instead of the server. */
  endpoint: string;
  /** Requests received, faulty or not. */
  readonly requests: number;
  /** A copy of the faults injected so far, by kind. */
  injected(): Record<FaultKind, number>;
  /** Closes the proxy, dropping held and open connections. */
  stop(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a seed names one schedule of faults. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Connection-level headers belong to each hop, not to the message.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'expect', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
  return out;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function s3Error(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Resource><RequestId>fault-proxy</RequestId></Error>`;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = mulberry32(options.seed);
  let total = 0;
  for (const kind of FAULT_KINDS) {
    const rate = options.rates[kind] ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate of ${kind} must be within 0..1, got ${rate}`);
    total += rate;
  }
  if (total > 1) throw new RangeError(`fault rates add up to ${total}, more than 1`);
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  let requests = 0;
  const upstreamAgent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();

  // Only GET answers have a body to cut (PUT, HEAD and DELETE answers are empty).
  const possible = (kind: FaultKind, method: string): boolean =>
    (kind !== 'truncatedBody' || method === 'GET') && injected[kind] < (options.max?.[kind] ?? Infinity);

  /** The fault for the next request, if any: the same draws for every request, so the schedule depends only on the order of requests. */
  const draw = (method: string): FaultKind | undefined => {
    let r = random();
    const owed = random();
    for (const kind of FAULT_KINDS) {
      const rate = options.rates[kind] ?? 0;
      if (r < rate) return possible(kind, method) ? kind : undefined;
      r -= rate;
    }
    if (!options.ensureEach || owed >= 0.5) return undefined;
    return FAULT_KINDS.find((kind) => (options.rates[kind] ?? 0) > 0 && injected[kind] === 0 && possible(kind, method));
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = httpRequest({
        host: target.hostname, port: target.port, method: req.method, path: req.url, agent: upstreamAgent,
        // The Host header goes through unchanged: the client signed it.
        headers: { ...forwardable(req.headers), 'content-length': String(body.length) },
      }, (res) => {
        readAll(res).then((data) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: data }), reject);
      });
      up.on('error', reject);
      up.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests++;
    const fault = draw(req.method ?? 'GET');
    // A cut body is counted when cut: an empty answer has nothing to cut.
    if (fault && fault !== 'truncatedBody') injected[fault]++;
    const socket = req.socket;
    if (fault === 'resetBeforeForward') {
      socket.resetAndDestroy();
      return;
    }
    if (fault === 'timeout') return; // never answered; the socket stays open until the client gives up or stop()
    const body = await readAll(req);
    if (fault === 'internalError' || fault === 'slowDown') {
      const [status, code, message] = fault === 'slowDown' ? [503, 'SlowDown', 'Please reduce your request rate.'] : [500, 'InternalError', 'We encountered an internal error. Please try again.'];
      const xml = Buffer.from(s3Error(code, message, req.url ?? '/'));
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': xml.length });
      res.end(req.method === 'HEAD' ? undefined : xml);
      return;
    }
    const answer = await forward(req, body);
    if (fault === 'resetAfterForward') {
      socket.resetAndDestroy();
      return;
    }
    const headers = forwardable(answer.headers);
    // HEAD keeps the server's Content-Length (the object's); otherwise the buffered body's.
    if (req.method !== 'HEAD') headers['content-length'] = String(answer.body.length);
    if (fault === 'truncatedBody' && answer.body.length >= 2) {
      // The full length announced, half the bytes sent, then the connection closed.
      injected.truncatedBody++;
      res.writeHead(answer.status, headers);
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => socket.destroy());
      return;
    }
    res.writeHead(answer.status, headers);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The server or client went away mid-request: drop the client's connection too.
      req.socket.destroy();
    });
  });
  // Idle client connections stay open: the proxy closing one just as the client reuses it would be a fault nobody injected.
  server.keepAliveTimeout = 120_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    injected: () => ({ ...injected }),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      upstreamAgent.destroy();
      await closed;
    },
  };
}
