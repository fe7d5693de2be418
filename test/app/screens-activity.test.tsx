// @vitest-environment happy-dom
// The Activity screen over a mocked catalog and API: order, events, load more.

import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityItem, Course } from '../../src/shared/api';
import type { CatalogStatus } from '../../src/renderer/catalog';
import { StrataError } from '../../src/shared/errors';
import { ACTIVITY_PAGE, ActivityScreen } from '../../src/renderer/screens/Activity';
import { renderWithApi } from './screens-harness';

const catalog = vi.hoisted(() => ({
  activity: undefined as ActivityItem[] | undefined,
  courses: [] as Course[] | undefined,
  status: { state: 'ready' } as CatalogStatus,
  limits: [] as number[],
  refresh: () => {},
}));

vi.mock('../../src/renderer/catalog', () => ({
  useActivity: (limit: number) => {
    catalog.limits.push(limit);
    return catalog.activity;
  },
  useCourses: () => catalog.courses,
  useCatalogStatus: () => catalog.status,
  useCatalogRefresh: () => catalog.refresh,
}));

function item(id: string, time: string, kind: ActivityItem['kind'] = 'version', extra: Partial<ActivityItem> = {}): ActivityItem {
  return { id, time, kind, title: `title ${id}`, ...extra };
}

function titles(): string[] {
  const list = screen.getByRole('list', { name: 'Activity, newest first' });
  return within(list)
    .getAllByRole('listitem')
    .map((row) => row.querySelector('.activity-title')?.textContent ?? '');
}

beforeEach(() => {
  catalog.activity = undefined;
  catalog.courses = [];
  catalog.status = { state: 'ready' };
  catalog.limits = [];
  catalog.refresh = () => {};
});
afterEach(cleanup);

describe('ActivityScreen', () => {
  it('lists the catalog newest first with a label per kind, and course names', () => {
    catalog.courses = [{ id: 'c1', name: 'Biology 101', path: '/b', paused: false, state: 'active', files: 1, bytes: 1 }];
    catalog.activity = [
      item('b', '2026-03-02T09:00:00Z', 'sync', { detail: '12 objects uploaded' }),
      item('c', '2026-03-03T09:00:00Z', 'restore', { course: 'c1' }),
      item('a', '2026-03-01T09:00:00Z', 'migration'),
    ];
    renderWithApi(<ActivityScreen />, {});

    expect(titles()).toEqual(['Restore title c', 'Sync title b', 'Tier move title a']);
    // Every read asks for one page (and there was one).
    expect(new Set(catalog.limits)).toEqual(new Set([ACTIVITY_PAGE]));
    const rows = within(screen.getByRole('list', { name: 'Activity, newest first' })).getAllByRole('listitem');
    expect(within(rows[0]!).getByText('Biology 101')).toBeTruthy();
    expect(within(rows[1]!).getByText('12 objects uploaded')).toBeTruthy();
    expect(rows[0]!.querySelector('time')?.getAttribute('datetime')).toBe('2026-03-03T09:00:00Z');
  });

  it('puts new activity events on top, once even when the catalog has them too', () => {
    catalog.activity = [item('a', '2026-03-01T09:00:00Z'), item('b', '2026-03-02T09:00:00Z')];
    const { events, rerender } = renderWithApi(<ActivityScreen />, {});
    expect(titles()).toEqual(['Version title b', 'Version title a']);

    act(() => events.emit('activity', item('n', '2026-03-04T09:00:00Z', 'backup')));
    expect(titles()).toEqual(['Backup title n', 'Version title b', 'Version title a']);
    expect(screen.getByText('New: title n')).toBeTruthy();

    // The catalog stores the same event: still listed once.
    catalog.activity = [item('n', '2026-03-04T09:00:00Z', 'backup'), ...catalog.activity];
    rerender(<ActivityScreen />);
    expect(titles()).toEqual(['Backup title n', 'Version title b', 'Version title a']);
  });

  it('"Load more" asks for what came before the oldest item and appends it', async () => {
    catalog.activity = [item('c', '2026-03-03T09:00:00Z'), item('b', '2026-03-02T09:00:00Z')];
    const older = [item('a2', '2026-02-20T09:00:00Z', 'check'), item('a1', '2026-02-10T09:00:00Z', 'error')];
    const list = vi
      .fn<(args: { before?: string; limit?: number }) => Promise<ActivityItem[]>>()
      // A full page, newest first, one minute apart.
      .mockResolvedValueOnce(
        Array.from({ length: ACTIVITY_PAGE }, (_, i) => item(`p${i}`, new Date(Date.parse('2026-02-28T09:00:00Z') - i * 60_000).toISOString())),
      )
      .mockResolvedValueOnce(older);
    renderWithApi(<ActivityScreen />, { 'activity.list': list });

    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(titles()).toHaveLength(2 + ACTIVITY_PAGE));
    expect(list).toHaveBeenLastCalledWith({ before: 'b', limit: ACTIVITY_PAGE });
    expect(titles().slice(0, 3)).toEqual(['Version title c', 'Version title b', 'Version title p0']);

    // A short page is the end.
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(titles()).toHaveLength(4 + ACTIVITY_PAGE));
    expect(list).toHaveBeenCalledTimes(2);
    expect(list.mock.calls[1]![0]).toEqual({ before: `p${ACTIVITY_PAGE - 1}`, limit: ACTIVITY_PAGE });
    expect(titles().at(-3)).toBe(`Version title p${ACTIVITY_PAGE - 1}`);
    expect(titles().slice(-2)).toEqual(['Check title a2', 'Error title a1']);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(screen.getByText('That is everything.')).toBeTruthy();
  });

  it('shows a failed "Load more" and keeps the list', async () => {
    catalog.activity = [item('a', '2026-03-01T09:00:00Z')];
    renderWithApi(<ActivityScreen />, {
      'activity.list': async () => {
        throw new StrataError('LOCKED', 'Unlock the repository first.');
      },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Unlock the repository first.');
    expect(titles()).toEqual(['Version title a']);
    expect(screen.getByRole('button', { name: 'Load more' })).toBeTruthy();
  });

  it('has loading, empty and offline states', async () => {
    const { rerender } = renderWithApi(<ActivityScreen />, {});
    expect(screen.getByText('Loading activity…')).toBeTruthy();

    catalog.activity = [];
    rerender(<ActivityScreen />);
    expect(screen.getByText('Nothing has happened yet')).toBeTruthy();
    expect(screen.queryByText('Loading activity…')).toBeNull();

    cleanup();
    catalog.activity = undefined;
    catalog.status = { state: 'offline', error: 'The engine is busy.' };
    const refresh = vi.fn();
    catalog.refresh = refresh;
    const list = vi.fn(async () => [item('x', '2026-03-05T09:00:00Z')]);
    renderWithApi(<ActivityScreen />, { 'activity.list': list });
    const alert = screen.getByRole('alert');
    expect(within(alert).getByText('The engine is busy.')).toBeTruthy();
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(refresh).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(titles()).toEqual(['Version title x']));
    expect(list).toHaveBeenCalledWith({ limit: ACTIVITY_PAGE });
  });
});
