// Settings: who you are (the author on versions), remotes, the tier
// placement policy (docs/tiers.md) and each course's ignore rules.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Course, RemoteInfo, Settings } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { useApi } from '../api-context';
import { useCourses } from '../catalog';
import { BusyButton } from '../components/BusyButton';
import { ErrorNotice, fieldError } from '../components/ErrorNotice';
import { Field, TextAreaField } from '../components/Field';
import { ThemeToggle } from '../components/ThemeToggle';
import { useAction } from '../use-action';
import { OperationsProgress } from './OperationsProgress';
import { Empty, LoadError, Loading } from './ScreenStates';

export function SettingsScreen() {
  const api = useApi();
  const titleId = useId();
  const [settings, setSettings] = useState<Settings>();
  const loading = useAction();
  const { run } = loading;

  const load = useCallback(async () => {
    const next = await run(() => api.call('settings.get'));
    if (next) setSettings(next);
  }, [api, run]);

  useEffect(() => {
    void load();
  }, [load]);

  let body;
  if (settings) {
    body = (
      <>
        <AuthorSection settings={settings} onSaved={setSettings} />
        <RemotesSection settings={settings} onSaved={setSettings} />
        <PolicySection settings={settings} onSaved={setSettings} />
        <IgnoreRulesSection />
      </>
    );
  } else if (loading.error) {
    body = <LoadError title="Settings could not be loaded" message={loading.error.message} onRetry={() => void load()} />;
  } else {
    body = <Loading>Loading settings…</Loading>;
  }

  return (
    <section className="screen settings-screen" aria-labelledby={titleId}>
      <h2 id={titleId}>Settings</h2>
      <OperationsProgress />
      <section className="card settings-section" aria-labelledby={`${titleId}-appearance`}>
        <h3 id={`${titleId}-appearance`}>Appearance</h3>
        <ThemeToggle />
      </section>
      {body}
    </section>
  );
}

/** A short-lived "Saved" note, announced politely. */
function useSavedNote(): [string, (text: string) => void] {
  const [note, setNote] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const show = useCallback((text: string) => {
    clearTimeout(timer.current);
    setNote(text);
    timer.current = setTimeout(() => setNote(''), 4_000);
  }, []);
  return [note, show];
}

function SavedNote({ text }: { text: string }) {
  return (
    <span className="status saved-note" role="status">
      {text}
    </span>
  );
}

interface SectionProps {
  settings: Settings;
  onSaved(settings: Settings): void;
}

// ---- Identity -----------------------------------------------------------------

function AuthorSection({ settings, onSaved }: SectionProps) {
  const api = useApi();
  const action = useAction();
  const titleId = useId();
  const [author, setAuthor] = useState(settings.author);
  const [note, showNote] = useSavedNote();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = await action.run(async () => {
      if (author.trim() === '') throw new StrataError('INVALID_ARGUMENT', 'Enter the name to record on your versions.', 'author');
      return api.call('settings.setAuthor', { author: author.trim() });
    });
    if (next) {
      onSaved(next);
      setAuthor(next.author);
      showNote('Author saved.');
    }
  }

  return (
    <form className="card settings-section" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h3 id={titleId}>Identity</h3>
      <Field
        label="Author name"
        value={author}
        onChange={setAuthor}
        hint="Recorded on every version you make, and shown in file history."
        placeholder="Ada Lovelace <ada@example.org>"
        error={fieldError(action.error, 'author')}
        autoComplete="name"
        required
      />
      <ErrorNotice error={action.error} fields={['author']} />
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Saving…">
          Save author
        </BusyButton>
        <SavedNote text={note} />
      </div>
    </form>
  );
}

// ---- Remotes ------------------------------------------------------------------

/** The add-remote form's fields: literal text (URLs, folders), so no autocomplete or spell checking. */
const remoteFields: { key: keyof RemoteInfo; label: string; placeholder: string; hint?: string; required?: boolean }[] = [
  { key: 'name', label: 'Remote name', placeholder: 'backup', required: true },
  {
    key: 'hot',
    label: 'Hot storage (URL or folder)',
    placeholder: 's3://bucket/strata?region=eu-west-1 or /media/usb/strata',
    hint: 'A folder alone gets hot and cold parts of its own.',
    required: true,
  },
  {
    key: 'cold',
    label: 'Cold storage URL (optional)',
    placeholder: 's3://cheap-bucket/strata',
    hint: 'Another bucket or endpoint for data the policy moves cold. Leave empty for none.',
  },
];
const remoteFieldKeys = remoteFields.map((field) => field.key);
const noRemote: Required<RemoteInfo> = { name: '', hot: '', cold: '' };

function RemotesSection({ settings, onSaved }: SectionProps) {
  const titleId = useId();
  return (
    <section className="card settings-section" aria-labelledby={titleId}>
      <h3 id={titleId}>Remotes</h3>
      <p className="lead">Where sync keeps an encrypted copy: an S3 bucket (hot, and optionally cold) or a folder.</p>
      {settings.remotes.length === 0 ? (
        <Empty title="No remotes yet">Add one below to keep a copy off this computer.</Empty>
      ) : (
        <ul className="remote-list" aria-label="Remotes">
          {settings.remotes.map((remote) => (
            <RemoteRow key={remote.name} remote={remote} onRemoved={onSaved} />
          ))}
        </ul>
      )}
      <AddRemoteForm onAdded={onSaved} />
    </section>
  );
}

function RemoteRow({ remote, onRemoved }: { remote: RemoteInfo; onRemoved(settings: Settings): void }) {
  const api = useApi();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const keepButton = useRef<HTMLButtonElement>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const confirmId = useId();

  useEffect(() => {
    if (confirming) keepButton.current?.focus();
  }, [confirming]);

  function closeConfirm() {
    setConfirming(false);
    // Back to where the keyboard was (after the confirmation is gone).
    setTimeout(() => removeButton.current?.focus(), 0);
  }

  async function remove() {
    const next = await action.run(() => api.call('settings.removeRemote', { name: remote.name }));
    if (next) onRemoved(next);
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape') {
      event.preventDefault();
      closeConfirm();
    }
  }

  return (
    <li className="remote">
      <div className="remote-info">
        <strong>{remote.name}</strong>
        <dl className="kv">
          <dt>Hot</dt>
          <dd>
            <code>{remote.hot}</code>
          </dd>
          {remote.cold && (
            <>
              <dt>Cold</dt>
              <dd>
                <code>{remote.cold}</code>
              </dd>
            </>
          )}
        </dl>
      </div>
      {confirming ? (
        <div className="confirm" role="group" aria-labelledby={confirmId} onKeyDown={onKeyDown}>
          <p id={confirmId}>
            Remove remote “{remote.name}”? Sync stops using it; what it already holds is not deleted.
          </p>
          <div className="actions">
            <BusyButton type="button" className="danger" busy={action.pending} busyLabel="Removing…" onClick={() => void remove()}>
              Remove {remote.name}
            </BusyButton>
            <button type="button" className="secondary" ref={keepButton} onClick={closeConfirm} disabled={action.pending}>
              Keep it
            </button>
          </div>
          <ErrorNotice error={action.error} />
        </div>
      ) : (
        <button
          type="button"
          className="secondary"
          ref={removeButton}
          onClick={() => setConfirming(true)}
          aria-label={`Remove remote ${remote.name}`}
        >
          Remove…
        </button>
      )}
    </li>
  );
}

function AddRemoteForm({ onAdded }: { onAdded(settings: Settings): void }) {
  const api = useApi();
  const action = useAction();
  const titleId = useId();
  const [draft, setDraft] = useState(noRemote);
  const [note, showNote] = useSavedNote();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const remote: RemoteInfo = { name: draft.name.trim(), hot: draft.hot.trim() };
    if (draft.cold.trim() !== '') remote.cold = draft.cold.trim();
    const next = await action.run(async () => {
      if (remote.name === '') throw new StrataError('INVALID_ARGUMENT', 'Give the remote a name.', 'name');
      if (remote.hot === '') throw new StrataError('INVALID_ARGUMENT', 'Enter a URL or a folder.', 'hot');
      return api.call('settings.addRemote', remote);
    });
    if (next) {
      onAdded(next);
      setDraft(noRemote);
      showNote(`Remote “${remote.name}” added.`);
    }
  }

  return (
    <form className="subform" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h4 id={titleId}>Add a remote</h4>
      {remoteFields.map(({ key, ...field }) => (
        <Field
          key={key}
          {...field}
          value={draft[key]}
          onChange={(value) => setDraft((previous) => ({ ...previous, [key]: value }))}
          error={fieldError(action.error, key)}
          autoComplete="off"
          spellCheck={false}
        />
      ))}
      <ErrorNotice error={action.error} fields={remoteFieldKeys} />
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Adding…">
          Add remote
        </BusyButton>
        <SavedNote text={note} />
      </div>
    </form>
  );
}

// ---- Tier policy --------------------------------------------------------------

/** The engine's words, with the setting it names made explicit when the message does not say it. */
function policyErrorText(error: StrataError): string {
  const setting = error.field;
  if (!setting || setting === 'policy' || error.message.includes(setting)) return error.message;
  return `“${setting}”: ${error.message}`;
}

function PolicySection({ settings, onSaved }: SectionProps) {
  const api = useApi();
  const action = useAction();
  const titleId = useId();
  const [policy, setPolicy] = useState(settings.policy);
  const [note, showNote] = useSavedNote();
  const changed = policy !== settings.policy;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = await action.run(async () => {
      try {
        JSON.parse(policy);
      } catch (err) {
        throw new StrataError('INVALID_ARGUMENT', `Not valid JSON: ${err instanceof Error ? err.message : String(err)}`, 'policy');
      }
      return api.call('settings.setPolicy', { policy });
    });
    if (next) {
      onSaved(next);
      setPolicy(next.policy);
      showNote('Policy saved.');
    }
  }

  // Every policy error belongs to the editor: the engine names the setting at fault.
  const error = action.error && action.error.code === 'INVALID_ARGUMENT' ? policyErrorText(action.error) : undefined;

  return (
    <form className="card settings-section" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h3 id={titleId}>Tier policy</h3>
      <p className="lead">
        When data moves between the hot and cold tiers, as JSON. Every setting is optional: <code>{'{}'}</code> keeps
        the defaults.
      </p>
      <TextAreaField
        label="Placement policy (JSON)"
        value={policy}
        onChange={(value) => {
          setPolicy(value);
          if (action.error) action.clearError();
        }}
        hint="Settings: hotClass, coldClass, archivedColdAfterDays, historicalColdAfterDays, readKeepsHotDays, frequentReads, media, courses, prices."
        error={error}
        rows={12}
      />
      {!error && <ErrorNotice error={action.error} />}
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Saving…" disabled={!changed}>
          Save policy
        </BusyButton>
        <button
          type="button"
          className="secondary"
          disabled={action.pending || !changed}
          onClick={() => {
            setPolicy(settings.policy);
            action.clearError();
          }}
        >
          Discard changes
        </button>
        <SavedNote text={note} />
      </div>
    </form>
  );
}

// ---- Ignore rules per course ----------------------------------------------------

function IgnoreRulesSection() {
  const courses = useCourses();
  const titleId = useId();
  const selectId = useId();
  const [course, setCourse] = useState('');

  // The chosen course may have been removed meanwhile.
  const chosen: Course | undefined = courses?.find((item) => item.id === course);

  return (
    <section className="card settings-section" aria-labelledby={titleId}>
      <h3 id={titleId}>Ignore rules</h3>
      <p className="lead">Files a course does not record, in .gitignore syntax.</p>
      {courses === undefined ? (
        <Loading>Loading courses…</Loading>
      ) : courses.length === 0 ? (
        <Empty title="No courses yet">Add a course folder first; its ignore rules are edited here.</Empty>
      ) : (
        <>
          <div className="field">
            <label htmlFor={selectId}>Course</label>
            <select id={selectId} value={chosen ? course : ''} onChange={(event) => setCourse(event.target.value)}>
              <option value="">Choose a course…</option>
              {courses.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </div>
          {chosen && <IgnoreRulesEditor key={chosen.id} course={chosen} />}
        </>
      )}
    </section>
  );
}

function IgnoreRulesEditor({ course }: { course: Course }) {
  const api = useApi();
  const load = useAction();
  const save = useAction();
  const [saved, setSaved] = useState<string>();
  const [rules, setRules] = useState('');
  const [note, showNote] = useSavedNote();
  const { run } = load;

  const fetchRules = useCallback(async () => {
    const result = await run(() => api.call('settings.ignoreRules', { course: course.id }));
    if (result) {
      setSaved(result.rules);
      setRules(result.rules);
    }
  }, [api, course.id, run]);

  useEffect(() => {
    void fetchRules();
  }, [fetchRules]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await save.run(() => api.call('settings.setIgnoreRules', { course: course.id, rules }));
    if (result) {
      setSaved(result.rules);
      setRules(result.rules);
      showNote('Ignore rules saved.');
    }
  }

  if (saved === undefined) {
    return load.error ? (
      <LoadError title="The ignore rules could not be loaded" message={load.error.message} onRetry={() => void fetchRules()} />
    ) : (
      <Loading>Loading the ignore rules…</Loading>
    );
  }

  return (
    <form onSubmit={submit} noValidate>
      <TextAreaField
        label={`Ignore rules for ${course.name}`}
        value={rules}
        onChange={setRules}
        hint="One pattern per line, e.g. *.tmp or build/. Lines starting with # are comments; ! re-includes."
        error={fieldError(save.error, 'rules')}
        rows={8}
      />
      <ErrorNotice error={save.error} fields={['rules']} />
      <div className="actions">
        <BusyButton busy={save.pending} busyLabel="Saving…" disabled={rules === saved}>
          Save ignore rules
        </BusyButton>
        <SavedNote text={note} />
      </div>
    </form>
  );
}
