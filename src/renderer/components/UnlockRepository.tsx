// Unlock an existing repository for this session.

import { useState, type FormEvent } from 'react';
import type { RepoStatus } from '../../shared/api';
import { useApi } from '../api-context';
import { useAction } from '../use-action';
import { BusyButton } from './BusyButton';
import { ErrorNotice, fieldError } from './ErrorNotice';
import { Field, PathField } from './Field';

export function UnlockRepository({
  initialPath,
  onUnlocked,
  onCreateInstead,
}: {
  initialPath: string;
  onUnlocked(status: RepoStatus): void;
  onCreateInstead(): void;
}) {
  const api = useApi();
  const action = useAction();
  const [path, setPath] = useState(initialPath);
  const [passphrase, setPassphrase] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    const status = await action.run(() => api.call('repo.unlock', { path, passphrase }));
    if (status) onUnlocked(status);
    else setPassphrase('');
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="unlock-title">
      <h2 id="unlock-title">Unlock your repository</h2>
      <p className="lead">Enter the passphrase to back up into it. Strata forgets it when you lock or quit.</p>
      <PathField
        label="Location"
        value={path}
        onChange={setPath}
        error={fieldError(action.error, 'path')}
      />
      <Field
        label="Passphrase"
        type="password"
        value={passphrase}
        onChange={setPassphrase}
        error={fieldError(action.error, 'passphrase')}
        autoComplete="current-password"
        autoFocus
        required
      />
      <ErrorNotice error={action.error} fields={['path', 'passphrase']} />
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Unlocking…">
          Unlock
        </BusyButton>
        <button type="button" className="link" onClick={onCreateInstead}>
          Create a new repository instead
        </button>
      </div>
    </form>
  );
}
