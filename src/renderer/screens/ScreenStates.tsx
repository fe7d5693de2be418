// Loading, error and empty states every screen shows the same way.

import type { ReactNode } from 'react';

export function Loading({ children }: { children: ReactNode }) {
  return (
    <p className="status screen-loading" role="status">
      <span className="loading-spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

export function LoadError({ title, message, onRetry }: { title: string; message: string; onRetry?: () => void }) {
  return (
    <div className="card screen-error" role="alert">
      <h3>{title}</h3>
      <p>{message}</p>
      {onRetry && (
        <div className="actions">
          <button type="button" className="primary" onClick={onRetry}>
            Try again
          </button>
        </div>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children && <p className="hint">{children}</p>}
    </div>
  );
}
