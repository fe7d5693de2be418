// @vitest-environment happy-dom
// The Courses screen over a mocked catalog and API: its states, adding a
// course, pausing, archiving, removing (confirmed) and recording an adopted
// course's missing files as deleted (confirmed).

import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Course, StrataApi } from '../../src/shared/api';
import type { CatalogStatus } from '../../src/renderer/catalog';
import { StrataError } from '../../src/shared/errors';
import { CoursesScreen } from '../../src/renderer/screens/Courses';
import { renderWithApi } from './screens-harness';

const catalog = vi.hoisted(() => ({
  courses: undefined as Course[] | undefined,
  status: { state: 'ready' } as CatalogStatus,
}));

vi.mock('../../src/renderer/catalog', () => ({
  useCourses: () => catalog.courses,
  useCatalogStatus: () => catalog.status,
}));

function course(id: string, name: string, extra: Partial<Course> = {}): Course {
  return { id, name, path: `/home/ana/Courses/${name}`, paused: false, state: 'active', files: 12, bytes: 3 * 1024 * 1024, ...extra };
}

const ceramics = course('c1', 'Ceramics', { lastChange: '2025-03-01T10:00:00.000Z' });
const history = course('c2', 'History', { state: 'archived', paused: true, files: 1, bytes: 512 });

function row(name: string): HTMLElement {
  const header = screen.getByRole('rowheader', { name: new RegExp(name) });
  return header.closest('tr') as HTMLElement;
}

beforeEach(() => {
  catalog.courses = [ceramics, history];
  catalog.status = { state: 'ready' };
});
afterEach(() => {
  cleanup();
  Reflect.deleteProperty(window, 'strata');
});

describe('CoursesScreen', () => {
  it('shows loading while the catalog has no answer', () => {
    catalog.courses = undefined;
    renderWithApi(<CoursesScreen />, {});
    expect(screen.getByRole('status')).toHaveProperty('textContent', 'Loading courses…');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows the empty state when no course is tracked', () => {
    catalog.courses = [];
    renderWithApi(<CoursesScreen />, {});
    expect(screen.getByText('No courses yet — add a course folder')).toBeTruthy();
    expect(screen.queryByText('Loading courses…')).toBeNull();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows the error when the catalog is offline with nothing to show', () => {
    catalog.courses = undefined;
    catalog.status = { state: 'offline', error: 'Strata is not answering.' };
    renderWithApi(<CoursesScreen />, {});
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Courses could not be loaded.');
    expect(alert.textContent).toContain('Strata is not answering.');
    expect(screen.queryByText('Loading courses…')).toBeNull();
  });

  it('lists the courses with state, files, size and last change', () => {
    renderWithApi(<CoursesScreen />, {});
    const first = within(row('Ceramics'));
    expect(first.getByText('Active')).toBeTruthy();
    expect(first.queryByText('Paused')).toBeNull();
    expect(first.getByText('12')).toBeTruthy();
    expect(first.getByText('3 MiB')).toBeTruthy();
    expect(first.getByText('/home/ana/Courses/Ceramics')).toBeTruthy();
    expect(first.getByRole('button', { name: 'Pause' })).toBeTruthy();
    expect(first.getByRole('button', { name: 'Archive' })).toBeTruthy();
    expect(first.queryByText('No versions yet')).toBeNull();

    const second = within(row('History'));
    expect(second.getByText('Archived')).toBeTruthy();
    expect(second.getByText('Paused')).toBeTruthy();
    expect(second.getByText('512 bytes')).toBeTruthy();
    expect(second.getByText('No versions yet')).toBeTruthy();
    expect(second.getByRole('button', { name: 'Resume' })).toBeTruthy();
    expect(second.getByRole('button', { name: 'Activate' })).toBeTruthy();
  });

  it('adds a course: calls courses.add with the path and reports it', async () => {
    const add = vi.fn<StrataApi['courses.add']>(async ({ path }) => course('c3', 'Pottery', { path, files: 3 }));
    renderWithApi(<CoursesScreen />, { 'courses.add': add });
    expect(screen.queryByRole('button', { name: 'Choose folder…' })).toBeNull();

    fireEvent.change(screen.getByLabelText('Folder path'), { target: { value: '/home/ana/Courses/Pottery' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add course' }));

    await screen.findByText('Added Pottery: 3 files recorded.');
    expect(add).toHaveBeenCalledTimes(1);
    expect(add).toHaveBeenCalledWith({ path: '/home/ana/Courses/Pottery' });
    expect(screen.getByLabelText('Folder path')).toHaveProperty('value', '');
  });

  it('passes a name when one is given, and shows a path error beside the field', async () => {
    const add = vi.fn<StrataApi['courses.add']>(async () => {
      throw new StrataError('NOT_FOUND', 'There is no folder at /nope.', 'path');
    });
    renderWithApi(<CoursesScreen />, { 'courses.add': add });
    fireEvent.change(screen.getByLabelText('Folder path'), { target: { value: '/nope' } });
    fireEvent.change(screen.getByLabelText('Name (optional)'), { target: { value: ' Clay ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add course' }));

    await screen.findByText('There is no folder at /nope.');
    expect(add).toHaveBeenCalledWith({ path: '/nope', name: 'Clay' });
    expect(screen.getByLabelText('Folder path').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByText(/^Added /)).toBeNull();
  });

  it('offers the desktop folder picker when the bridge has one', async () => {
    const pickFolder = vi.fn(async () => '/home/ana/Picked');
    Object.defineProperty(window, 'strata', { value: { invoke: vi.fn(), on: vi.fn(), pickFolder }, configurable: true });
    renderWithApi(<CoursesScreen />, {});
    fireEvent.click(screen.getByRole('button', { name: 'Choose folder…' }));
    await waitFor(() => expect(screen.getByLabelText('Folder path')).toHaveProperty('value', '/home/ana/Picked'));
    expect(pickFolder).toHaveBeenCalledTimes(1);
  });

  it('pauses, resumes, archives and activates through the API', async () => {
    const pause = vi.fn<StrataApi['courses.pause']>(async ({ course: id, paused }) => ({ ...ceramics, id, paused }));
    const setState = vi.fn<StrataApi['courses.setState']>(async ({ course: id, state }) => ({ ...history, id, state }));
    renderWithApi(<CoursesScreen />, { 'courses.pause': pause, 'courses.setState': setState });

    fireEvent.click(within(row('Ceramics')).getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(pause).toHaveBeenCalledWith({ course: 'c1', paused: true }));
    await waitFor(() => expect(within(row('History')).getByRole('button', { name: 'Resume' })).toHaveProperty('disabled', false));
    fireEvent.click(within(row('History')).getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(pause).toHaveBeenLastCalledWith({ course: 'c2', paused: false }));
    await waitFor(() => expect(within(row('History')).getByRole('button', { name: 'Activate' })).toHaveProperty('disabled', false));
    fireEvent.click(within(row('History')).getByRole('button', { name: 'Activate' }));
    await waitFor(() => expect(setState).toHaveBeenCalledWith({ course: 'c2', state: 'active' }));
    await waitFor(() => expect(within(row('Ceramics')).getByRole('button', { name: 'Archive' })).toHaveProperty('disabled', false));
    fireEvent.click(within(row('Ceramics')).getByRole('button', { name: 'Archive' }));
    await waitFor(() => expect(setState).toHaveBeenLastCalledWith({ course: 'c1', state: 'archived' }));
  });

  it('shows why a change failed', async () => {
    const pause = vi.fn<StrataApi['courses.pause']>(async () => {
      throw new StrataError('LOCKED', 'Unlock the repository first.');
    });
    renderWithApi(<CoursesScreen />, { 'courses.pause': pause });
    fireEvent.click(within(row('Ceramics')).getByRole('button', { name: 'Pause' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Unlock the repository first.');
  });

  it('removes a course only after confirmation; Escape cancels', async () => {
    const remove = vi.fn<StrataApi['courses.remove']>(async () => [history]);
    renderWithApi(<CoursesScreen />, { 'courses.remove': remove });

    const removeButton = within(row('Ceramics')).getByRole('button', { name: 'Remove' });
    removeButton.focus();
    fireEvent.click(removeButton);
    const dialog = screen.getByRole('dialog', { name: 'Remove Ceramics?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(removeButton);
    expect(remove).not.toHaveBeenCalled();

    fireEvent.click(within(row('Ceramics')).getByRole('button', { name: 'Remove' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(remove).toHaveBeenCalledWith({ course: 'c1' }));
    expect(remove).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('records an adopted course\'s missing files as deleted only after confirmation, busy meanwhile', async () => {
    const adopted = course('c3', 'Glaze', { adopted: true, notHere: 3 });
    catalog.courses = [ceramics, adopted, course('c4', 'Kiln', { adopted: true, notHere: 0 })];
    let finish: (c: Course) => void = () => {};
    const confirm = vi.fn<StrataApi['courses.confirmDeletions']>(() => new Promise<Course>((resolve) => { finish = resolve; }));
    renderWithApi(<CoursesScreen />, { 'courses.confirmDeletions': confirm });
    // Only a course with files not here offers it, and says how many.
    expect(within(row('Ceramics')).queryByRole('button', { name: 'Confirm deletions' })).toBeNull();
    expect(within(row('Kiln')).queryByRole('button', { name: 'Confirm deletions' })).toBeNull();
    expect(within(row('Glaze')).getByText('3 files not here')).toBeTruthy();

    fireEvent.click(within(row('Glaze')).getByRole('button', { name: 'Confirm deletions' }));
    const dialog = screen.getByRole('dialog', { name: 'Record deletions in Glaze?' });
    expect(dialog.textContent).toContain('3 files of this course are not on this computer. Record them as deleted?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(confirm).not.toHaveBeenCalled();

    fireEvent.click(within(row('Glaze')).getByRole('button', { name: 'Confirm deletions' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Record as deleted' }));
    expect(confirm).toHaveBeenCalledWith({ course: 'c3' });
    const busy = await within(row('Glaze')).findByRole('button', { name: 'Recording…' });
    expect(busy.getAttribute('aria-busy')).toBe('true');
    expect(within(row('Ceramics')).getByRole('button', { name: 'Pause' })).toHaveProperty('disabled', true);
    finish(course('c3', 'Glaze', { files: 9 }));
    await waitFor(() => expect(within(row('Glaze')).getByRole('button', { name: 'Confirm deletions' })).toHaveProperty('disabled', false));
    expect(confirm).toHaveBeenCalledTimes(1);
  });

  it('says it of a single file in the singular', () => {
    catalog.courses = [course('c3', 'Glaze', { adopted: true, notHere: 1 })];
    renderWithApi(<CoursesScreen />, {});
    expect(within(row('Glaze')).getByText('1 file not here')).toBeTruthy();
    fireEvent.click(within(row('Glaze')).getByRole('button', { name: 'Confirm deletions' }));
    expect(screen.getByRole('dialog').textContent).toContain('1 file of this course is not on this computer. Record it as deleted?');
  });
});
