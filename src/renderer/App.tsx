// The app: brand and engine version, then what the repository's state calls
// for — create (first run), unlock, or, once unlocked, the shell (navigation
// between the screens, catalog status, Lock) over the offline catalog.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { RepoStatus } from '../shared/api';
import type { StrataError } from '../shared/errors';
import { useApi } from './api-context';
import { CatalogProvider } from './catalog';
import { CreateRepository } from './components/CreateRepository';
// Also applies the saved theme before the first paint.
import './components/ThemeToggle';
import { UnlockRepository } from './components/UnlockRepository';
import { CatalogStatusBadge, Shell } from './screens/Shell';
import { useAction } from './use-action';

export function App() {
  const api = useApi();
  const [engine, setEngine] = useState<string>();
  const [status, setStatus] = useState<RepoStatus>();
  // The status events compare against (an effect's closure would see the first one only).
  const statusRef = useRef<RepoStatus | undefined>(undefined);
  statusRef.current = status;
  const [loadError, setLoadError] = useState<StrataError>();
  const [creatingElsewhere, setCreatingElsewhere] = useState(false);
  // Set once a repository was created here, to show step 2 of getting started.
  const [gettingStarted, setGettingStarted] = useState(false);
  const lock = useAction();

  const load = useCallback(async () => {
    setLoadError(undefined);
    try {
      const [version, current] = await Promise.all([api.call('app.version'), api.call('repo.status')]);
      setEngine(version.engine);
      setStatus(current);
    } catch (err) {
      setLoadError(err as StrataError);
    }
  }, [api]);

  useEffect(() => {
    void load();
    // The event can arrive before repo.create answers: a first run (none -> unlocked) starts on getting started either way.
    return api.on('repo.changed', (next) => {
      if (statusRef.current?.state === 'none' && next.state === 'unlocked') setGettingStarted(true);
      setStatus(next);
    });
  }, [api, load]);

  function changed(next: RepoStatus) {
    setCreatingElsewhere(false);
    setStatus(next);
  }

  let screen;
  if (loadError) {
    screen = (
      <div className="card" role="alert">
        <h2>Strata could not start</h2>
        <p>{loadError.message}</p>
        <div className="actions">
          <button type="button" className="primary" onClick={() => void load()}>
            Try again
          </button>
        </div>
      </div>
    );
  } else if (!status) {
    screen = (
      <p className="status" role="status">
        Loading…
      </p>
    );
  } else if (status.state === 'none' || creatingElsewhere) {
    screen = (
      <>
        <Steps current={1} />
        <CreateRepository
          defaultPath={status.state === 'none' ? status.path : status.defaultPath}
          onCreated={(next) => {
            setGettingStarted(true);
            changed(next);
          }}
        />
      </>
    );
  } else if (status.state === 'locked') {
    screen = (
      <UnlockRepository initialPath={status.path} onUnlocked={changed} onCreateInstead={() => setCreatingElsewhere(true)} />
    );
  } else {
    const lockButton = (
      <button
        type="button"
        className="secondary"
        disabled={lock.pending}
        onClick={() => void lock.run(() => api.call('repo.lock')).then((next) => next && changed(next))}
      >
        Lock
      </button>
    );
    return (
      <CatalogProvider>
        <Shell
          initialScreen={gettingStarted ? 'courses' : 'dashboard'}
          header={
            <header className="masthead shell-header">
              <h1>Strata</h1>
              <span className="version" aria-label={engine ? `Engine version ${engine}` : undefined}>
                {engine ? `engine ${engine}` : ''}
              </span>
              <CatalogStatusBadge />
              <span className="shell-repo">
                <span className="visually-hidden">Repository </span>
                <code title={status.path}>{status.path}</code>
              </span>
              {lockButton}
            </header>
          }
          notice={
            <>
              {gettingStarted && <Steps current={2} />}
              {lock.error && (
                <p className="notice notice-error" role="alert">
                  {lock.error.message}
                </p>
              )}
            </>
          }
        />
      </CatalogProvider>
    );
  }

  return (
    <div className="app">
      <header className="masthead">
        <h1>Strata</h1>
        <span className="version" aria-label={engine ? `Engine version ${engine}` : undefined}>
          {engine ? `engine ${engine}` : ''}
        </span>
      </header>
      <main>{screen}</main>
    </div>
  );
}

function Steps({ current }: { current: 1 | 2 }) {
  const steps = ['Create a repository', 'Add a course folder'];
  return (
    <ol className="steps" aria-label="Getting started">
      {steps.map((label, index) => (
        <li key={label} aria-current={index + 1 === current ? 'step' : undefined}>
          <span className="step-number">{index + 1}</span> {label}
        </li>
      ))}
    </ol>
  );
}
