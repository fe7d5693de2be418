// "Restore to…": the folder to write a restore into, for the history screens.
// The folder typed stays while the form is open; closing it (the caller stops
// rendering it, e.g. once the restore is done) clears it.

import { useState, type FormEvent } from 'react';
import type { StrataError } from '../../shared/errors';
import { fieldError } from '../components/ErrorNotice';
import { PathField } from '../components/Field';

export function RestoreToForm({
  label,
  hint,
  pending,
  error,
  onRestore,
}: {
  /** The form's accessible name. */
  label: string;
  hint: string;
  pending: boolean;
  /** The restore's error: shown beside the field when it is about the target. */
  error: StrataError | undefined;
  onRestore(target: string): void;
}) {
  const [target, setTarget] = useState('');

  function submit(event: FormEvent) {
    event.preventDefault();
    onRestore(target);
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label={label}>
      <PathField label="Target folder" value={target} onChange={setTarget} hint={hint} error={fieldError(error, 'target')} />
      <button type="submit" className="primary" disabled={!target.trim() || pending}>
        Restore
      </button>
    </form>
  );
}
