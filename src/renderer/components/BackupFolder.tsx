// First run, step 2 (and afterwards): back a course folder up as a snapshot.

import { useState, type FormEvent } from 'react';
import type { BackupResult } from '../../shared/api';
import { useApi } from '../api-context';
import { formatBytes, formatCount } from '../format';
import { useAction } from '../use-action';
import { ErrorNotice, fieldError } from './ErrorNotice';
import { PathField } from './Field';

interface Done extends BackupResult {
  path: string;
}

export function BackupFolder() {
  const api = useApi();
  const action = useAction();
  const [path, setPath] = useState('');
  const [done, setDone] = useState<Done[]>([]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const folder = path;
    const result = await action.run(() => api.call('folders.backup', { path: folder }));
    if (result) setDone((previous) => [{ ...result, path: folder }, ...previous]);
  }

  const latest = done[0];
  return (
    <section className="card" aria-labelledby="backup-title">
      <form onSubmit={submit} noValidate>
        <h2 id="backup-title">Add a course folder</h2>
        <p className="lead">Strata backs the folder up now as a snapshot you can restore later.</p>
        <PathField
          label="Folder"
          value={path}
          onChange={setPath}
          placeholder="/home/you/Courses/Intro to Ceramics"
          error={fieldError(action.error, 'path')}
        />
        <ErrorNotice error={action.error} fields={['path']} />
        <div className="actions">
          <button type="submit" className="primary" disabled={action.pending} aria-busy={action.pending}>
            {action.pending ? 'Backing up…' : 'Back up now'}
          </button>
          {action.pending && (
            <span className="status" role="status">
              Reading, chunking and encrypting files…
            </span>
          )}
        </div>
      </form>
      {latest && (
        <div className="result" role="status" aria-live="polite">
          <p>
            <strong>Backed up {latest.path}</strong>
          </p>
          <dl>
            <dt>Snapshot</dt>
            <dd>
              <code>{latest.snapshot}</code>
            </dd>
            <dt>Files</dt>
            <dd>{formatCount(latest.files, 'file')}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(latest.bytes)}</dd>
          </dl>
        </div>
      )}
      {done.length > 1 && (
        <details className="history">
          <summary>Earlier backups this session</summary>
          <ul>
            {done.slice(1).map((item) => (
              <li key={item.snapshot}>
                <code>{item.snapshot.slice(0, 12)}</code> {item.path} — {formatCount(item.files, 'file')},{' '}
                {formatBytes(item.bytes)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
