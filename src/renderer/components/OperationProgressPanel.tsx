// Progress of the long operations (restore, rollback, scan…) the engine reports
// through 'operation.progress' events, each with a Cancel button
// (operations.cancel). Shown while the screen's own action is pending.

import { useEffect, useState } from 'react';
import type { OperationProgress } from '../../shared/api';
import { useApi } from '../api-context';
import { formatBytes } from '../format';

function amount(value: number, unit: OperationProgress['unit']): string {
  return unit === 'bytes' ? formatBytes(value) : value.toLocaleString();
}

function describe(progress: OperationProgress): string {
  const done = amount(progress.done, progress.unit);
  const unit = progress.unit === 'bytes' ? '' : ` ${progress.unit}`;
  if (progress.total === undefined) return `${done}${unit}`;
  return `${done} of ${amount(progress.total, progress.unit)}${unit}`;
}

/** Running operations by id, kept current from 'operation.progress' events. */
export function useRunningOperations(): OperationProgress[] {
  const api = useApi();
  const [running, setRunning] = useState<ReadonlyMap<string, OperationProgress>>(new Map());
  useEffect(
    () =>
      api.on('operation.progress', (progress) => {
        setRunning((previous) => {
          const next = new Map(previous);
          if (progress.phase === 'running') next.set(progress.id, progress);
          else next.delete(progress.id);
          return next;
        });
      }),
    [api],
  );
  return [...running.values()];
}

export function OperationProgressPanel({ active, label }: { active: boolean; label: string }) {
  const api = useApi();
  const running = useRunningOperations();
  const [cancelling, setCancelling] = useState<ReadonlySet<string>>(new Set());

  if (!active) return null;

  async function cancel(id: string) {
    setCancelling((previous) => new Set(previous).add(id));
    try {
      await api.call('operations.cancel', { id });
    } catch {
      // The operation may have ended meanwhile; its own result or error is shown.
      setCancelling((previous) => {
        const next = new Set(previous);
        next.delete(id);
        return next;
      });
    }
  }

  return (
    <div className="operation" role="status" aria-live="polite">
      {running.length === 0 ? (
        <p className="operation-line">
          <span className="spinner" aria-hidden="true" /> {label}…
        </p>
      ) : (
        running.map((progress) => (
          <div key={progress.id} className="operation-line">
            <span className="operation-label">
              {progress.message ?? label} — {describe(progress)}
            </span>
            <progress
              aria-label={`${label} progress`}
              max={progress.total || undefined}
              value={progress.total ? progress.done : undefined}
            />
            <button
              type="button"
              className="secondary small"
              disabled={cancelling.has(progress.id)}
              onClick={() => void cancel(progress.id)}
            >
              {cancelling.has(progress.id) ? 'Cancelling…' : 'Cancel'}
            </button>
          </div>
        ))
      )}
    </div>
  );
}
