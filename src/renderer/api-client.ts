// The renderer's way to the engine: one StrataClient, whatever the host. In
// Electron it wraps the preload's `window.strata`; in a browser served by
// `strata serve` it speaks HTTP (POST /api/<method>, events from /api/events);
// in tests it wraps a Partial<StrataApi>. Every failure reaches callers as a
// StrataError carrying a contract error code.

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
}

/** Picks the transport: the Electron bridge when present, else HTTP with the page's token. */
export function createApiClient(page: {
  bridge: StrataBridge | undefined;
  location: { origin: string; search: string };
}): StrataClient {
  if (page.bridge) return bridgeClient(page.bridge);
  const token = new URLSearchParams(page.location.search).get('token') ?? '';
  return httpClient({ baseUrl: page.location.origin, token });
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
  };
}

export interface HttpClientOptions {
  /** Origin of the headless host, e.g. http://127.0.0.1:4711 */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
}

export function httpClient(options: HttpClientOptions): StrataClient {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const authorization = `Bearer ${options.token}`;
  const events = eventStream(options.baseUrl, authorization, fetchImpl);

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

// One server-sent-event stream shared by all listeners, opened with the first
// listener and closed with the last. fetch rather than EventSource because
// EventSource cannot send the Authorization header. Reconnects with backoff.
function eventStream(baseUrl: string, authorization: string, fetchImpl: typeof fetch) {
  const listeners = new Set<(event: StrataEvent) => void>();
  let abort: AbortController | undefined;

  async function run(signal: AbortSignal): Promise<void> {
    let delay = 1_000;
    while (!signal.aborted) {
      try {
        const response = await fetchImpl(`${baseUrl}/api/events`, { headers: { Authorization: authorization }, signal });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        delay = 1_000;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffered = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            deliver(buffered.slice(0, end));
            buffered = buffered.slice(end + 2);
          }
        }
      } catch {
        // Dropped or refused: retry below unless we were closed.
      }
      if (signal.aborted) return;
      await new Promise((wake) => setTimeout(wake, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }

  function deliver(block: string): void {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice('data:'.length).trimStart())
      .join('\n');
    if (data === '') return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof (event as { name?: unknown }).name !== 'string') return;
    for (const listener of listeners) listener(event as StrataEvent);
  }

  return {
    on<E extends StrataEventName>(name: E, listener: (payload: StrataEvents[E]) => void): () => void {
      const forward = (event: StrataEvent): void => {
        if (event.name === name) listener(event.payload as StrataEvents[E]);
      };
      listeners.add(forward);
      if (!abort) {
        abort = new AbortController();
        void run(abort.signal);
      }
      return () => {
        listeners.delete(forward);
        if (listeners.size === 0) {
          abort?.abort();
          abort = undefined;
        }
      };
    },
  };
}
