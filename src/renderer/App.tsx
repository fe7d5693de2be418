// The app shell: brand and engine version, then the screen the repository's
// state calls for — create (first run), unlock, or back up folders.

import { useCallback, useEffect, useState } from 'react';
import type { RepoStatus } from '../shared/api';
import type { StrataError } from '../shared/errors';
import { useApi } from './api-context';
import { BackupFolder } from './components/BackupFolder';
import { CreateRepository } from './components/CreateRepository';
import { UnlockRepository } from './components/UnlockRepository';
import { useAction } from './use-action';

export function App() {
  const api = useApi();
  const [engine, setEngine] = useState<string>();
  const [status, setStatus] = useState<RepoStatus>();
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
    return api.on('repo.changed', setStatus);
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
    screen = (
      <>
        {gettingStarted && <Steps current={2} />}
        <div className="repo-bar">
          <span>
            Repository <code>{status.path}</code> <span className="badge">Unlocked</span>
          </span>
          <button
            type="button"
            className="secondary"
            disabled={lock.pending}
            onClick={() => void lock.run(() => api.call('repo.lock')).then((next) => next && changed(next))}
          >
            Lock
          </button>
        </div>
        {lock.error && (
          <p className="notice notice-error" role="alert">
            {lock.error.message}
          </p>
        )}
        <BackupFolder />
      </>
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
