// The renderer's way to the engine: one StrataClient, whatever the host. In
// Electron it wraps the preload's `window.strata`; in a browser served by
// `strata serve` it speaks HTTP (POST /api/<method>) and takes events from the
// WebSocket at /api/events; in tests it wraps a Partial<StrataApi>. Every
// failure reaches callers as a StrataError carrying a contract error code.

import {
  isApiError,
  type ApiArgs,
  type ApiMethod,
  type ApiResult,
  type StrataApi,
  type StrataEvent,
  type StrataEventName,
  type StrataEvents,
} from '../shared/api';
import type { StrataBridge } from '../shared/bridge';
import { StrataError } from '../shared/errors';

export interface StrataClient {
  /** Calls one contract method; rejects with a StrataError. */
  call<M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>>;
  /** Listens to one engine event; returns the function that stops listening. */
  on<E extends StrataEventName>(event: E, listener: (payload: StrataEvents[E]) => void): () => void;
  /**
   * Follows the connection to the engine's events: the listener is called at
   * once with the current state, then on every change; returns the function
   * that stops listening. Over IPC (Electron) and in-process it is always
   * 'online'. Over HTTP it is 'connecting' until the event socket first opens,
   * 'online' while it is open and 'offline' while it is down and being retried
   * with backoff: events sent meanwhile are lost, so on 'offline' -> 'online'
   * a screen should reload what it shows. Listening keeps the socket open.
   */
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

export type ConnectionState = 'connecting' | 'online' | 'offline';

/**
 * Picks the transport: the Electron bridge when present, else HTTP with the
 * page's token. `strata serve` hands the token over in the URL's fragment
 * (`#token=...`), which the browser never sends to any server; it is kept
 * here, in memory, and nowhere else (no cookie, no storage), since every
 * server on 127.0.0.1, whatever its port, shares the page's cookies and a
 * later one on the same port its storage. It stays in the fragment so that a
 * reload still has it.
 */
export function createApiClient(page: {
  bridge: StrataBridge | undefined;
  location: { origin: string; hash: string };
}): StrataClient {
  if (page.bridge) return bridgeClient(page.bridge);
  return httpClient({ baseUrl: page.location.origin, token: pageToken(page.location.hash) });
}

/** The token in a page URL's fragment (`#token=...`), or '' (the host then refuses every call, and the page says so). */
export function pageToken(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}

export function bridgeClient(bridge: StrataBridge): StrataClient {
  return {
    call: async <M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>> => {
      try {
        return await bridge.invoke(method, ...args);
      } catch (err) {
        throw toStrataError(err);
      }
    },
    on: (event, listener) => bridge.on(event, listener),
    onConnection: alwaysOnline,
  };
}

function alwaysOnline(listener: (state: ConnectionState) => void): () => void {
  listener('online');
  return () => {};
}

export interface HttpClientOptions {
  /** Origin of the headless host, e.g. http://127.0.0.1:4711 */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  /** Opens the event socket; default the browser's WebSocket (tests in Node pass the `ws` package's). */
  webSocket?: WebSocketFactory;
  /** Reconnect delays: the first retry waits `initialMs`, doubling up to `maxMs` (with jitter). Default 500 ms, 15 s. */
  backoff?: { initialMs: number; maxMs: number };
}

/** The part of the WebSocket API the client uses (the browser's, or the `ws` package's in Node). */
export interface EventSocket {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string, protocols: string[]) => EventSocket;

/** The subprotocols the headless host expects: 'strata', and the token (browsers cannot set headers on a WebSocket). */
export function eventSocketProtocols(token: string): string[] {
  return ['strata', `token.${token}`];
}

export function httpClient(options: HttpClientOptions): StrataClient {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const authorization = `Bearer ${options.token}`;
  const events = eventSocket({
    url: `${options.baseUrl.replace(/^http/, 'ws')}/api/events`,
    protocols: eventSocketProtocols(options.token),
    open: options.webSocket ?? ((url, protocols) => new WebSocket(url, protocols) as unknown as EventSocket),
    backoff: options.backoff ?? { initialMs: 500, maxMs: 15_000 },
  });

  return {
    call: async <M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>> => {
      let response: Response;
      try {
        response = await fetchImpl(`${options.baseUrl}/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: authorization },
          body: JSON.stringify({ args: args[0] }),
        });
      } catch {
        throw new StrataError('INTERNAL', 'Cannot reach Strata. Is `strata serve` still running?');
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (typeof body === 'object' && body !== null) {
        if ('error' in body && isApiError(body.error)) throw StrataError.from(body.error);
        if (response.ok && 'result' in body) return body.result as ApiResult<M>;
      }
      if (response.status === 401 || response.status === 403) {
        throw new StrataError('INTERNAL', 'This page is not authorised. Open the address `strata serve` printed.');
      }
      throw new StrataError('INTERNAL', `Unexpected answer from Strata (HTTP ${response.status}).`);
    },
    on: events.on,
    onConnection: events.onConnection,
  };
}

/** A client over an in-process implementation, e.g. a Partial<StrataApi> mock in UI tests. */
export function localClient(api: Partial<StrataApi>, emitter?: LocalEvents): StrataClient {
  return {
    call: async <M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>> => {
      const implementation = api[method];
      if (!implementation) throw new StrataError('NOT_FOUND', `Not implemented: ${method}`);
      try {
        return (await Reflect.apply(implementation, api, args)) as ApiResult<M>;
      } catch (err) {
        throw toStrataError(err);
      }
    },
    on: (event, listener) => emitter?.on(event, listener) ?? (() => {}),
    onConnection: alwaysOnline,
  };
}

export interface LocalEvents {
  on<E extends StrataEventName>(event: E, listener: (payload: StrataEvents[E]) => void): () => void;
}

function toStrataError(err: unknown): StrataError {
  if (err instanceof StrataError) return err;
  if (isApiError(err)) return StrataError.from(err);
  return new StrataError('INTERNAL', err instanceof Error ? err.message : String(err));
}

// One WebSocket shared by all listeners (event and connection listeners),
// opened with the first and closed shortly after the last leaves (so React's
// StrictMode unmount-remount does not churn it). The token travels as a
// subprotocol: the browser WebSocket API cannot send headers, and the host
// does not accept its cookie here. Reconnects with exponential backoff and
// jitter; the state ('connecting' | 'online' | 'offline') is observable.
function eventSocket(config: {
  url: string;
  protocols: string[];
  open: WebSocketFactory;
  backoff: { initialMs: number; maxMs: number };
}) {
  const listeners = new Set<(event: StrataEvent) => void>();
  const watchers = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let socket: EventSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let linger: ReturnType<typeof setTimeout> | undefined;
  let delay = config.backoff.initialMs;
  let running = false;

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    for (const watcher of [...watchers]) watcher(next);
  }

  function connect(): void {
    retry = undefined;
    let current: EventSocket;
    try {
      current = config.open(config.url, config.protocols);
    } catch {
      // A malformed URL or a blocked connection (CSP): retry like a drop.
      scheduleRetry();
      return;
    }
    socket = current;
    current.onopen = () => {
      if (socket !== current) return;
      delay = config.backoff.initialMs;
      setState('online');
    };
    current.onmessage = (message) => {
      if (socket !== current || typeof message.data !== 'string') return;
      deliver(message.data);
    };
    // An error is always followed by close; close is where we retry.
    current.onerror = () => {};
    current.onclose = () => {
      if (socket !== current) return;
      socket = undefined;
      if (running) scheduleRetry();
    };
  }

  function scheduleRetry(): void {
    setState('offline');
    if (!running || retry) return;
    // "Equal jitter": half the delay fixed, half random, so many tabs do not reconnect in step.
    const wait = delay / 2 + Math.random() * (delay / 2);
    delay = Math.min(delay * 2, config.backoff.maxMs);
    retry = setTimeout(connect, wait);
  }

  function deliver(data: string): void {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof (event as { name?: unknown }).name !== 'string') return;
    for (const listener of [...listeners]) listener(event as StrataEvent);
  }

  function start(): void {
    if (linger) {
      clearTimeout(linger);
      linger = undefined;
    }
    if (running) return;
    running = true;
    state = 'connecting';
    delay = config.backoff.initialMs;
    connect();
  }

  function stopSoon(): void {
    if (listeners.size > 0 || watchers.size > 0 || linger) return;
    linger = setTimeout(() => {
      linger = undefined;
      if (listeners.size > 0 || watchers.size > 0) return;
      running = false;
      if (retry) clearTimeout(retry);
      retry = undefined;
      const current = socket;
      socket = undefined;
      current?.close(1000, 'no listeners');
      state = 'connecting';
    }, 1_000);
  }

  return {
    on<E extends StrataEventName>(name: E, listener: (payload: StrataEvents[E]) => void): () => void {
      const forward = (event: StrataEvent): void => {
        if (event.name === name) listener(event.payload as StrataEvents[E]);
      };
      listeners.add(forward);
      start();
      return () => {
        listeners.delete(forward);
        stopSoon();
      };
    },
    onConnection(listener: (state: ConnectionState) => void): () => void {
      // A wrapper, so the same function can listen twice and leave once per subscription.
      const watcher = (next: ConnectionState): void => listener(next);
      start();
      listener(state);
      watchers.add(watcher);
      return () => {
        watchers.delete(watcher);
        stopSoon();
      };
    },
  };
}
