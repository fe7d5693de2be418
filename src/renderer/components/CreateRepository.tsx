// First run, step 1: create the encrypted repository (location + passphrase).

import { useState, type FormEvent } from 'react';
import { MIN_PASSPHRASE_LENGTH, type RepoStatus } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { useApi } from '../api-context';
import { useAction } from '../use-action';
import { BusyButton } from './BusyButton';
import { ErrorNotice, fieldError } from './ErrorNotice';
import { Field, PathField } from './Field';

export function CreateRepository({ defaultPath, onCreated }: { defaultPath: string; onCreated(status: RepoStatus): void }) {
  const api = useApi();
  const action = useAction();
  const [path, setPath] = useState(defaultPath);
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    const status = await action.run(async () => {
      // Checked here too so a typo never reaches the engine; the service
      // enforces the length again for every host.
      if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
        throw new StrataError('INVALID_ARGUMENT', `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`, 'passphrase');
      }
      if (passphrase !== confirm) {
        throw new StrataError('INVALID_ARGUMENT', 'The two passphrases do not match.', 'confirm');
      }
      return api.call('repo.create', { path, passphrase });
    });
    if (status) onCreated(status);
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="create-title">
      <h2 id="create-title">Create a repository</h2>
      <p className="lead">
        The repository is where Strata keeps every version of your course files, deduplicated and encrypted on this
        computer.
      </p>
      <PathField
        label="Location"
        value={path}
        onChange={setPath}
        hint="A folder on this computer. It is created if it does not exist."
        error={fieldError(action.error, 'path')}
      />
      <Field
        label="Passphrase"
        type="password"
        value={passphrase}
        onChange={setPassphrase}
        hint={`At least ${MIN_PASSPHRASE_LENGTH} characters. It cannot be recovered if lost: keep it somewhere safe.`}
        error={fieldError(action.error, 'passphrase')}
        autoComplete="new-password"
        required
      />
      <Field
        label="Confirm passphrase"
        type="password"
        value={confirm}
        onChange={setConfirm}
        error={fieldError(action.error, 'confirm')}
        autoComplete="new-password"
        required
      />
      <ErrorNotice error={action.error} fields={['path', 'passphrase', 'confirm']} />
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Creating…">
          Create repository
        </BusyButton>
      </div>
    </form>
  );
}
