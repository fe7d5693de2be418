// Pending and error state for one user action (a form submit), so every form
// shows the same loading and failure behaviour.

import { useCallback, useRef, useState } from 'react';
import { StrataError } from '../shared/errors';

export interface Action {
  pending: boolean;
  error: StrataError | undefined;
  /** Runs `work` unless already running; resolves to its result, or undefined if it failed. */
  run<T>(work: () => Promise<T>): Promise<T | undefined>;
  clearError(): void;
}

/** What was thrown, as a StrataError (the API client's errors already are). */
export function toStrataError(err: unknown): StrataError {
  return err instanceof StrataError ? err : new StrataError('INTERNAL', err instanceof Error ? err.message : String(err));
}

export function useAction(): Action {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<StrataError>();
  // A ref, not state: a double click must not start the work twice.
  const running = useRef(false);

  const run = useCallback(async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setPending(true);
    setError(undefined);
    try {
      return await work();
    } catch (err) {
      setError(toStrataError(err));
      return undefined;
    } finally {
      running.current = false;
      setPending(false);
    }
  }, []);

  const clearError = useCallback(() => setError(undefined), []);
  return { pending, error, run, clearError };
}
