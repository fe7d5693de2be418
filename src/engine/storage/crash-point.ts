// Crash points for tests: with STRATA_TEST_CRASH_AT set, this process SIGKILLs
// itself at a chosen object write, so crash tests kill at a known moment on any
// machine (a kill on a timer lands wherever the machine's speed puts it, or
// not at all). Without the variable, withCrashPoint returns the backend
// itself: no wrapper, no cost.
//
//   STRATA_TEST_CRASH_AT=put:N[:WHEN][:PREFIX]
//
// dies at the Nth put this process makes (counted when the put is called,
// over every backend it opened) whose name starts with PREFIX (default: any),
// WHEN being `before` (default: nothing of it is stored), `after` (it is
// stored, nothing after it has started) or `mid` (on a local backend: its
// temp file is written and synced but not yet renamed, so it is left behind;
// elsewhere, where a put is one request, the same as `before`).

import { forwardTierControl, type Backend, type ObjectInfo, type PutOptions } from './backend';
import { LocalBackend } from './local';

export const CRASH_AT_VARIABLE = 'STRATA_TEST_CRASH_AT';

export type CrashMoment = 'before' | 'mid' | 'after';

export interface CrashPoint {
  /** The put to die at, from 1, counting only names that start with `prefix`. */
  put: number;
  when: CrashMoment;
  prefix: string;
}

const MOMENTS: readonly CrashMoment[] = ['before', 'mid', 'after'];
const PREFIX = /^[A-Za-z0-9._/-]*$/;

/** Reads a crash point; a clear error for anything else (a mistyped variable must not pass silently). */
export function parseCrashPoint(spec: string): CrashPoint {
  const parts = spec.split(':');
  const [operation, count, ...rest] = parts;
  const put = Number(count);
  const when = MOMENTS.find((m) => m === rest[0]);
  if (when) rest.shift();
  const prefix = rest.shift() ?? '';
  if (operation !== 'put' || !/^[1-9][0-9]*$/.test(count ?? '') || !Number.isSafeInteger(put) || rest.length > 0 || !PREFIX.test(prefix)) {
    throw new Error(`${CRASH_AT_VARIABLE}=${JSON.stringify(spec)}: expected put:N[:before|mid|after][:PREFIX], e.g. put:3:after:data/`);
  }
  return { put, when: when ?? 'before', prefix };
}

/** Puts counted so far, shared by every backend of the process; read from the environment once. */
interface Armed {
  point: CrashPoint;
  seen: number;
}
let armed: Armed | null | undefined;

function armedPoint(): Armed | null {
  if (armed === undefined) {
    const spec = process.env[CRASH_AT_VARIABLE];
    armed = spec ? { point: parseCrashPoint(spec), seen: 0 } : null;
  }
  return armed;
}

/** `backend` itself, or (with STRATA_TEST_CRASH_AT set) a wrapper that dies at the crash point. */
export function withCrashPoint(backend: Backend): Backend {
  const state = armedPoint();
  return state ? new CrashPointBackend(backend, state) : backend;
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before kill() returns; this is never reached.
  throw new Error('SIGKILL did not stop the process');
}

export class CrashPointBackend implements Backend {
  readonly location: string;
  readonly setTier?: Backend['setTier'];
  readonly thawState?: Backend['thawState'];
  readonly requestThaw?: Backend['requestThaw'];
  /** The name whose put dies between its temp file and the rename. */
  private midName: string | undefined;

  constructor(private readonly inner: Backend, private readonly state: Armed) {
    this.location = inner.location;
    Object.assign(this, forwardTierControl(inner));
    if (state.point.when === 'mid' && inner instanceof LocalBackend) {
      inner.afterTempWritten = (name) => {
        if (name === this.midName) die();
      };
    }
  }

  async put(name: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    const { point } = this.state;
    const chosen = name.startsWith(point.prefix) && ++this.state.seen === point.put;
    if (!chosen) return this.inner.put(name, data, options);
    if (point.when === 'before' || (point.when === 'mid' && !(this.inner instanceof LocalBackend))) die();
    if (point.when === 'mid') this.midName = name;
    try {
      await this.inner.put(name, data, options);
    } finally {
      // Even a put that failed (an exclusive put that found the object) is the crash point.
      die();
    }
  }

  get(name: string): Promise<Uint8Array> {
    return this.inner.get(name);
  }

  getRange(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.inner.getRange(name, offset, length, into);
  }

  head(name: string): Promise<ObjectInfo> {
    return this.inner.head(name);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  delete(name: string): Promise<void> {
    return this.inner.delete(name);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
