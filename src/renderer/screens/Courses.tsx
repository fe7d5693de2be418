// Courses: the tracked course folders with their state, size, files and last
// change; add one (path field, or the desktop's folder picker), pause or
// resume watching, archive or activate, remove (confirmed).

import { useState, type FormEvent } from 'react';
import type { Course } from '../../shared/api';
import { useApi } from '../api-context';
import { useCatalogStatus, useCourses } from '../catalog';
import { BusyButton } from '../components/BusyButton';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, fieldError } from '../components/ErrorNotice';
import { Field, PathField } from '../components/Field';
import { formatBytes, formatCount } from '../format';
import { useAction } from '../use-action';
import { formatShortTime } from './time';
import './screens.css';

/** The desktop bridge's folder picker, when this host has one. */
function folderPicker(): (() => Promise<string | undefined>) | undefined {
  const bridge = window.strata;
  return bridge?.pickFolder ? () => bridge.pickFolder?.() ?? Promise.resolve(undefined) : undefined;
}

export function CoursesScreen({ onOpenHistory }: { onOpenHistory?: (course: string) => void } = {}) {
  const courses = useCourses();
  const catalog = useCatalogStatus();
  const api = useApi();
  const change = useAction();
  const [removing, setRemoving] = useState<Course>();

  const loading = courses === undefined || (courses.length === 0 && catalog.state === 'loading');
  const failed = catalog.error !== undefined && (courses === undefined || courses.length === 0);

  let list;
  if (failed) {
    list = (
      <div className="notice notice-error" role="alert">
        <strong>Courses could not be loaded.</strong> {catalog.error}
      </div>
    );
  } else if (loading) {
    list = (
      <p className="status" role="status">
        Loading courses…
      </p>
    );
  } else if (courses.length === 0) {
    list = <p className="empty">No courses yet — add a course folder</p>;
  } else {
    list = (
      <div className="table-scroll">
        <table className="data-table courses-table">
          <caption className="visually-hidden">Tracked course folders</caption>
          <thead>
            <tr>
              <th scope="col">Course</th>
              <th scope="col">State</th>
              <th scope="col" className="number">
                Files
              </th>
              <th scope="col" className="number">
                Size
              </th>
              <th scope="col">Last change</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {courses.map((course) => (
              <tr key={course.id}>
                <th scope="row">
                  <span className="course-name">{course.name}</span>
                  <code className="course-path">{course.path}</code>
                </th>
                <td>
                  <span className={`badge ${course.state === 'archived' ? 'badge-muted' : ''}`}>
                    {course.state === 'archived' ? 'Archived' : 'Active'}
                  </span>
                  {course.paused && <span className="badge badge-warning">Paused</span>}
                </td>
                <td className="number">{course.files.toLocaleString()}</td>
                <td className="number">{formatBytes(course.bytes)}</td>
                <td>{course.lastChange ? formatShortTime(course.lastChange) : 'No versions yet'}</td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      className="secondary small"
                      disabled={change.pending}
                      onClick={() =>
                        void change.run(() => api.call('courses.pause', { course: course.id, paused: !course.paused }))
                      }
                    >
                      {course.paused ? 'Resume' : 'Pause'}
                    </button>
                    <button
                      type="button"
                      className="secondary small"
                      disabled={change.pending}
                      onClick={() =>
                        void change.run(() =>
                          api.call('courses.setState', {
                            course: course.id,
                            state: course.state === 'archived' ? 'active' : 'archived',
                          }),
                        )
                      }
                    >
                      {course.state === 'archived' ? 'Activate' : 'Archive'}
                    </button>
                    {onOpenHistory && (
                      <button type="button" className="secondary small" onClick={() => onOpenHistory(course.id)}>
                        History
                      </button>
                    )}
                    <button
                      type="button"
                      className="secondary small danger-text"
                      disabled={change.pending}
                      onClick={() => setRemoving(course)}
                    >
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <section className="screen" aria-labelledby="courses-title">
      <div className="screen-header">
        <h2 id="courses-title">Courses</h2>
        {catalog.state === 'offline' && courses !== undefined && courses.length > 0 && (
          <span className="hint">Offline: showing the courses as last known.</span>
        )}
      </div>
      <AddCourse />
      <ErrorNotice error={change.error} />
      {list}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove"
          danger
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => {
            const course = removing.id;
            setRemoving(undefined);
            void change.run(() => api.call('courses.remove', { course }));
          }}
        >
          <p>
            Strata stops tracking <code>{removing.path}</code>. Its history stays in the repository and the folder on
            disk is not touched.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function AddCourse() {
  const api = useApi();
  const action = useAction();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [added, setAdded] = useState<Course>();
  const pick = folderPicker();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setAdded(undefined);
    const args = name.trim() ? { path, name: name.trim() } : { path };
    const course = await action.run(() => api.call('courses.add', args));
    if (course) {
      setAdded(course);
      setPath('');
      setName('');
    }
  }

  async function choose() {
    const chosen = await pick?.();
    if (chosen) setPath(chosen);
  }

  return (
    <form className="card add-course" onSubmit={submit} noValidate aria-labelledby="add-course-title">
      <h3 id="add-course-title">Add a course folder</h3>
      <div className="add-course-fields">
        <PathField
          label="Folder path"
          value={path}
          onChange={setPath}
          placeholder="/home/you/Courses/Intro to Ceramics"
          error={fieldError(action.error, 'path')}
        />
        {pick && (
          <button type="button" className="secondary" onClick={() => void choose()}>
            Choose folder…
          </button>
        )}
        <Field label="Name (optional)" value={name} onChange={setName} error={fieldError(action.error, 'name')} />
      </div>
      <ErrorNotice error={action.error} fields={['path', 'name']} />
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Adding…">
          Add course
        </BusyButton>
        {action.pending && (
          <span className="status" role="status">
            Recording the folder's files…
          </span>
        )}
        {added && (
          <span className="status" role="status">
            Added {added.name}: {formatCount(added.files, 'file')} recorded.
          </span>
        )}
      </div>
    </form>
  );
}
