// @vitest-environment happy-dom
// The Point in time screen over a mocked catalog and API: the moment (slider
// and date-time input), the tree as it was with files gone now marked, and
// restoring the selected paths in place (confirmed) or elsewhere.

import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Course, PointInTimeEntry, StrataApi } from '../../src/shared/api';
import type { CatalogStatus } from '../../src/renderer/catalog';
import { StrataError } from '../../src/shared/errors';
import { PointInTimeScreen } from '../../src/renderer/screens/PointInTime';
import { renderWithApi } from './screens-harness';

const catalog = vi.hoisted(() => ({
  courses: undefined as Course[] | undefined,
  status: { state: 'ready' } as CatalogStatus,
  times: {} as Record<string, string[] | undefined>,
}));

vi.mock('../../src/renderer/catalog', () => ({
  useCourses: () => catalog.courses,
  useCatalogStatus: () => catalog.status,
}));
vi.mock('../../src/renderer/screens/course-history', () => ({
  useCourseVersionTimes: (course: string) => catalog.times[course],
}));

const courses: Course[] = [
  { id: 'c1', name: 'Ceramics', path: '/home/ana/Ceramics', paused: false, state: 'active', files: 2, bytes: 300 },
  { id: 'c2', name: 'History', path: '/home/ana/History', paused: false, state: 'active', files: 0, bytes: 0 },
];
const times = ['2025-03-01T09:00:00.250Z', '2025-03-02T09:00:00.000Z', '2025-03-03T09:00:00.500Z'];

function at(path: string, extra: Partial<PointInTimeEntry> = {}): PointInTimeEntry {
  return { path, file: `id-${path}`, n: 2, size: 100, time: '2025-03-02T09:00:00.000Z', goneNow: false, ...extra };
}

const entries = [at('notes/week1.md'), at('glazes.txt', { goneNow: true, n: 4 }), at('slides/intro.pdf')];

function row(path: string): HTMLElement {
  return screen.getByRole('rowheader', { name: path }).closest('tr') as HTMLElement;
}

beforeEach(() => {
  catalog.courses = courses;
  catalog.status = { state: 'ready' };
  catalog.times = { c1: times, c2: [] };
});
afterEach(cleanup);

describe('PointInTimeScreen', () => {
  it('shows loading, empty and error states', async () => {
    catalog.courses = undefined;
    const view = renderWithApi(<PointInTimeScreen />, {});
    expect(screen.getByRole('status').textContent).toBe('Loading courses…');
    catalog.courses = [];
    view.rerender(<PointInTimeScreen />);
    expect(screen.getByText('No courses yet — add a course folder on the Courses screen.')).toBeTruthy();
    catalog.status = { state: 'offline', error: 'Strata is not answering.' };
    view.rerender(<PointInTimeScreen />);
    expect(screen.getByRole('alert').textContent).toContain('Strata is not answering.');
    expect(screen.queryByText(/^No courses yet/)).toBeNull();

    catalog.status = { state: 'ready' };
    catalog.courses = courses;
    catalog.times = {};
    view.rerender(<PointInTimeScreen />);
    expect(screen.getByRole('status').textContent).toBe("Loading the course's history…");

    catalog.times = { c1: times, c2: [] };
    fireEvent.change(screen.getByLabelText('Course'), { target: { value: 'c2' } });
    expect(screen.getByText('This course has no history yet.')).toBeTruthy();
  });

  it('shows why the tree could not be read', async () => {
    const historyAt = vi.fn<StrataApi['history.at']>(async () => {
      throw new StrataError('UNAVAILABLE', 'Archived data is still being restored.');
    });
    renderWithApi(<PointInTimeScreen />, { 'history.at': historyAt });
    expect((await screen.findByRole('alert')).textContent).toBe('Archived data is still being restored.');
  });

  it('lists the course as it was at the latest moment, files gone now marked', async () => {
    const historyAt = vi.fn<StrataApi['history.at']>(async () => entries);
    renderWithApi(<PointInTimeScreen />, { 'history.at': historyAt });
    await screen.findByRole('rowheader', { name: 'glazes.txt' });
    expect(historyAt).toHaveBeenCalledWith({ course: 'c1', at: times[2] });

    const rows = within(screen.getByRole('table')).getAllByRole('rowheader').map((header) => header.textContent);
    expect(rows).toEqual(['glazes.txt', 'notes/week1.md', 'slides/intro.pdf']);
    expect(within(row('glazes.txt')).getByText('Not on disk now')).toBeTruthy();
    expect(within(row('glazes.txt')).getByText('@4')).toBeTruthy();
    expect(within(row('notes/week1.md')).queryByText('Not on disk now')).toBeNull();
    expect(within(row('notes/week1.md')).getByText('On disk')).toBeTruthy();
    expect(screen.getByText(/3 files at .*, 1 not on disk now\./)).toBeTruthy();
  });

  it('moves the moment with the slider and the Moment input', async () => {
    const historyAt = vi.fn<StrataApi['history.at']>(async () => entries);
    renderWithApi(<PointInTimeScreen />, { 'history.at': historyAt });
    await waitFor(() => expect(historyAt).toHaveBeenCalledTimes(1));
    const slider = screen.getByRole('slider', { name: 'Timeline' });
    expect(slider).toHaveProperty('value', '2');

    fireEvent.change(slider, { target: { value: '0' } });
    await waitFor(() => expect(historyAt).toHaveBeenLastCalledWith({ course: 'c1', at: times[0] }));
    const moment = screen.getByLabelText('Moment');
    // The input shows the moment to the second, in local time.
    expect(new Date((moment as HTMLInputElement).value).getTime()).toBe(Math.floor(Date.parse(times[0] as string) / 1000) * 1000);

    // Typed: the end of that second, local time; the slider follows to the version at or before it.
    fireEvent.change(moment, { target: { value: '2025-03-02T12:30:15' } });
    const typed = new Date('2025-03-02T12:30:15');
    typed.setMilliseconds(999);
    await waitFor(() => expect(historyAt).toHaveBeenLastCalledWith({ course: 'c1', at: typed.toISOString() }));
    const expectedStop = times.filter((time) => Date.parse(time) <= typed.getTime()).length - 1;
    expect(slider).toHaveProperty('value', String(expectedStop));
  });

  it('restores the selected paths in place after confirming, and shows the summary', async () => {
    const historyAt = vi.fn<StrataApi['history.at']>(async () => entries);
    const restore = vi.fn<StrataApi['history.restore']>(async ({ paths }) => ({
      written: paths ?? [],
      removed: [],
      versions: paths?.length ?? 0,
      target: '/home/ana/Ceramics',
    }));
    renderWithApi(<PointInTimeScreen />, { 'history.at': historyAt, 'history.restore': restore });
    await screen.findByRole('rowheader', { name: 'glazes.txt' });
    const here = screen.getByRole('button', { name: 'Restore here' });
    expect(here).toHaveProperty('disabled', true);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Select glazes.txt' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select slides/intro.pdf' }));
    expect(screen.getByText('2 files selected')).toBeTruthy();
    fireEvent.click(here);
    const dialog = screen.getByRole('dialog', { name: 'Restore 2 files in place?' });
    expect(restore).not.toHaveBeenCalled();
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(restore).not.toHaveBeenCalled();

    fireEvent.click(here);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Restore' }));
    await screen.findByText('Restored 2 files to');
    expect(restore).toHaveBeenCalledTimes(1);
    expect(restore).toHaveBeenCalledWith({ course: 'c1', at: times[2], paths: ['glazes.txt', 'slides/intro.pdf'] });
    // The tree is read again: restored files are on disk now.
    await waitFor(() => expect(historyAt).toHaveBeenCalledTimes(2));
  });

  it('selects all and restores them to another folder', async () => {
    const historyAt = vi.fn<StrataApi['history.at']>(async () => entries);
    const restore = vi.fn<StrataApi['history.restore']>(async ({ paths, target }) => ({
      written: paths ?? [],
      removed: [],
      versions: 0,
      target: target ?? '',
    }));
    renderWithApi(<PointInTimeScreen />, { 'history.at': historyAt, 'history.restore': restore });
    await screen.findByRole('rowheader', { name: 'glazes.txt' });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select all' }));
    expect(screen.getByText('3 files selected')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Restore to…' }));
    fireEvent.change(screen.getByLabelText('Target folder'), { target: { value: '/tmp/then' } });
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await screen.findByText('/tmp/then');
    expect(restore).toHaveBeenCalledWith({
      course: 'c1',
      at: times[2],
      paths: ['glazes.txt', 'notes/week1.md', 'slides/intro.pdf'],
      target: '/tmp/then',
    });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('names the files a restore could not put back, and why', async () => {
    const historyAt = vi.fn<StrataApi['history.at']>(async () => entries);
    const restore = vi.fn<StrataApi['history.restore']>(async ({ target }) => ({
      written: ['notes/week1.md'],
      removed: [],
      versions: 0,
      target: target ?? '',
      notRestored: [{ path: 'slides/intro.pdf', reason: 'damaged', message: 'damaged object data/ab/ab12: pack is missing (the index names it)' }],
    }));
    renderWithApi(<PointInTimeScreen />, { 'history.at': historyAt, 'history.restore': restore });
    await screen.findByRole('rowheader', { name: 'glazes.txt' });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select all' }));
    fireEvent.click(screen.getByRole('button', { name: 'Restore to…' }));
    fireEvent.change(screen.getByLabelText('Target folder'), { target: { value: '/tmp/then' } });
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    const alert = await screen.findByText(/could not be restored/);
    expect(alert.textContent).toContain('1 file could not be restored');
    const item = within(alert.closest('[role="alert"]') as HTMLElement).getByText('slides/intro.pdf').closest('li') as HTMLElement;
    expect(item.textContent).toBe('slides/intro.pdf: damaged object data/ab/ab12: pack is missing (the index names it)');
  });
});
