// Reading objects that may sit in an archive class (GLACIER, DEEP_ARCHIVE):
// a read that finds the object frozen sends a restore request (once), then
// either waits, polling the object's state, or stops with a clear message
// ("thawing, ready in about N hours") so the user can come back later. The
// clock and the sleep are injectable: no test server delays reads, so tests
// drive this path through a simulated archive (test/storage/archive-sim.ts).

import { setTimeout as delay } from 'node:timers/promises';
import { EngineError } from '../errors';
import { StorageError, type Backend, type ThawState } from '../storage/backend';
import type { TierState } from './tier-state';

const HOUR = 3_600_000;

/** Typical time for a Standard restore to finish, by class (AWS's documented ranges, upper half). */
export const TYPICAL_THAW_HOURS: Record<string, number> = { GLACIER: 4, DEEP_ARCHIVE: 12 };

export interface ThawOptions {
  /** Wait for the restore to finish (default false: fail with ThawingError). */
  wait?: boolean;
  /** Days a restored copy stays readable (default 7). */
  days?: number;
  /** Polling interval while waiting (default 15 minutes). */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told each time the state is known: "thawing, ready in about N hours". */
  onState?: (name: string, message: string) => void;
  /** Where restore requests are remembered between runs (for the estimate). */
  tierState?: TierState;
}

/** Raised when a read needs an archived object that is still thawing (and the caller does not wait). */
export class ThawingError extends EngineError {
  constructor(readonly objectName: string, readonly readyInHours: number, message: string) {
    super('UNAVAILABLE', message);
  }
}

function isFrozen(error: unknown): error is StorageError & { storageClass?: string } {
  return error instanceof StorageError && error.code === 'FROZEN';
}

/** "ready in about 3 hours", from the request time and the class's typical delay (or the server's own estimate). */
export function thawMessage(name: string, state: ThawState, requestedAt: number, now: number): { message: string; hours: number } {
  if (state.state === 'ready') return { message: `${name} is readable`, hours: 0 };
  const storageClass = state.storageClass;
  const typical = (TYPICAL_THAW_HOURS[storageClass] ?? 4) * HOUR;
  const readyAt = state.state === 'thawing' && state.readyAt ? state.readyAt.getTime() : requestedAt + typical;
  const hours = Math.max(1, Math.ceil((readyAt - now) / HOUR));
  return { message: `${name} (${storageClass}): thawing, ready in about ${hours} hour${hours === 1 ? '' : 's'}`, hours };
}

/**
 * Runs `read` against `backend`; when the object is frozen, asks for a
 * restore and then waits (options.wait) or raises ThawingError.
 */
export async function readThawing<T>(backend: Backend, name: string, read: () => Promise<T>, options: ThawOptions = {}): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  for (;;) {
    try {
      const value = await read();
      options.tierState?.clearThaw(name);
      return value;
    } catch (error) {
      if (!isFrozen(error)) throw error;
      const storageClass = error.storageClass ?? 'GLACIER';
      let state: ThawState = backend.thawState ? await backend.thawState(name) : { state: 'frozen', storageClass };
      let requested = options.tierState?.thaw(name)?.requested;
      if (state.state === 'frozen') {
        if (!backend.requestThaw) throw new EngineError('UNAVAILABLE', `${name} is archived (${storageClass}) and ${backend.location} cannot restore it`);
        await backend.requestThaw(name, options.days ?? 7);
        requested = now();
        options.tierState?.markThawRequested(name, { requested, storageClass });
        await options.tierState?.save();
        state = { state: 'thawing', storageClass };
      }
      if (state.state === 'ready') continue; // restored meanwhile: read again
      const { message, hours } = thawMessage(name, state, requested ?? now(), now());
      options.onState?.(name, message);
      if (!options.wait) throw new ThawingError(name, hours, `${message}; run the command again then (or pass --wait)`);
      await sleep(options.pollMs ?? 15 * 60_000);
    }
  }
}
