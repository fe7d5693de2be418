// Long operations (sync, scan, restore, migration) as the engine reports them
// through 'operation.progress': a progress bar each, a Cancel button
// (operations.cancel) while running, and the outcome for a few seconds after.
// The one progress view: the Dashboard's sync card, Activity, Settings and the
// history screens (whose restores and rollbacks report here) all use it.

import { useEffect, useRef, useState } from 'react';
import type { OperationProgress } from '../../shared/api';
import { useApi } from '../api-context';
import { formatBytes } from '../format';

/** How long a finished or cancelled operation stays listed. */
const LINGER_MS = 5_000;

const operationLabels: Record<string, string> = {
  sync: 'Sync',
  scan: 'Scan',
  restore: 'Restore',
  migration: 'Tier migration',
  migrate: 'Tier migration',
  backup: 'Backup',
  check: 'Check',
  prefetch: 'Prefetch',
  evict: 'Eviction',
};

function operationLabel(operation: string): string {
  return operationLabels[operation] ?? operation.charAt(0).toUpperCase() + operation.slice(1);
}

function amount(value: number, unit: OperationProgress['unit']): string {
  return unit === 'bytes' ? formatBytes(value) : value.toLocaleString();
}

function progressText(progress: OperationProgress): string {
  const unit = progress.unit === 'bytes' ? '' : ` ${progress.unit}`;
  if (progress.total === undefined) return `${amount(progress.done, progress.unit)}${unit}`;
  return `${amount(progress.done, progress.unit)} of ${amount(progress.total, progress.unit)}${unit}`;
}

const phaseText: Record<OperationProgress['phase'], string> = {
  running: '',
  finished: 'finished',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * Lists running operations; `only` limits it to some operation names
 * (e.g. ['sync'] on the Dashboard's sync card).
 */
export function OperationsProgress({ only, label = 'Operations in progress' }: { only?: string[]; label?: string }) {
  const api = useApi();
  const [operations, setOperations] = useState<OperationProgress[]>([]);
  const [cancelling, setCancelling] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [announcement, setAnnouncement] = useState('');
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const onlyKey = only?.join('\n');

  useEffect(() => {
    const wanted = onlyKey === undefined ? undefined : new Set(onlyKey.split('\n'));
    const pending = timers.current;
    const stop = api.on('operation.progress', (progress) => {
      if (wanted && !wanted.has(progress.operation)) return;
      setOperations((previous) => {
        const index = previous.findIndex((item) => item.id === progress.id);
        if (index < 0) return [...previous, progress];
        const next = previous.slice();
        next[index] = progress;
        return next;
      });
      const timer = pending.get(progress.id);
      if (timer) clearTimeout(timer);
      pending.delete(progress.id);
      if (progress.phase !== 'running') {
        setAnnouncement(`${operationLabel(progress.operation)} ${phaseText[progress.phase]}${progress.message ? `: ${progress.message}` : ''}`);
        // Failures stay until dismissed; the rest go after a moment.
        if (progress.phase !== 'failed') {
          pending.set(
            progress.id,
            setTimeout(() => {
              pending.delete(progress.id);
              setOperations((previous) => previous.filter((item) => item.id !== progress.id));
            }, LINGER_MS),
          );
        }
      }
    });
    return () => {
      stop();
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    };
  }, [api, onlyKey]);

  async function cancel(id: string) {
    setCancelling((previous) => new Set(previous).add(id));
    setErrors(({ [id]: _dropped, ...rest }) => rest);
    try {
      const { cancelled } = await api.call('operations.cancel', { id });
      if (!cancelled) setErrors((previous) => ({ ...previous, [id]: 'It could not be cancelled: it had already ended.' }));
    } catch (err) {
      setErrors((previous) => ({ ...previous, [id]: err instanceof Error ? err.message : String(err) }));
    } finally {
      setCancelling((previous) => {
        const next = new Set(previous);
        next.delete(id);
        return next;
      });
    }
  }

  function dismiss(id: string) {
    setOperations((previous) => previous.filter((item) => item.id !== id));
  }

  return (
    <>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      {operations.length > 0 && (
        <ul className="op-list" aria-label={label}>
          {operations.map((progress) => {
            const name = operationLabel(progress.operation);
            const running = progress.phase === 'running';
            return (
              <li key={progress.id} className={`op-item op-${progress.phase}`}>
                <div className="op-head">
                  <strong>{name}</strong>
                  <span className="op-count">
                    {running ? progressText(progress) : phaseText[progress.phase]}
                  </span>
                </div>
                {running && (
                  <progress
                    aria-label={`${name} progress`}
                    value={progress.total === undefined ? undefined : progress.done}
                    max={progress.total === undefined ? undefined : Math.max(progress.total, 1)}
                  />
                )}
                {progress.message && <p className="hint">{progress.message}</p>}
                {errors[progress.id] && (
                  <p className="field-error" role="alert">
                    {errors[progress.id]}
                  </p>
                )}
                {running ? (
                  <button
                    type="button"
                    className="secondary small"
                    onClick={() => void cancel(progress.id)}
                    disabled={cancelling.has(progress.id)}
                    aria-label={`Cancel ${name.toLowerCase()}`}
                  >
                    {cancelling.has(progress.id) ? 'Cancelling…' : 'Cancel'}
                  </button>
                ) : (
                  progress.phase === 'failed' && (
                    <button
                      type="button"
                      className="link small"
                      onClick={() => dismiss(progress.id)}
                      aria-label={`Dismiss ${name.toLowerCase()} failure`}
                    >
                      Dismiss
                    </button>
                  )
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
