// @vitest-environment happy-dom
// The app shell over a mocked catalog and API: first run and unlock lead to
// the navigation, which switches screens; the header shows the catalog status
// (Offline) and locks.

import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Course, RepoStatus, StrataApi } from '../../src/shared/api';
import type { CatalogStatus } from '../../src/renderer/catalog';
import { App } from '../../src/renderer/App';
import { renderWithApi } from './screens-harness';

const catalog = vi.hoisted(() => ({
  courses: [] as Course[] | undefined,
  status: { state: 'ready' } as CatalogStatus,
  providers: 0,
}));

vi.mock('../../src/renderer/catalog', async () => {
  const { createElement, Fragment, useEffect } = await import('react');
  return {
    CatalogProvider: ({ children }: { children: unknown }) => {
      useEffect(() => {
        catalog.providers += 1;
        return () => {
          catalog.providers -= 1;
        };
      }, []);
      return createElement(Fragment, null, children as never);
    },
    useCourses: () => catalog.courses,
    useCatalogStatus: () => catalog.status,
    useFiles: () => [],
    useFileVersions: () => [],
  };
});
// The other screens are another test's subject: stand-ins here.
vi.mock('../../src/renderer/screens/Dashboard', () => ({ DashboardScreen: () => <h2>Dashboard</h2> }));
vi.mock('../../src/renderer/screens/Activity', () => ({ ActivityScreen: () => <h2>Activity</h2> }));
vi.mock('../../src/renderer/screens/Settings', () => ({ SettingsScreen: () => <h2>Settings</h2> }));

const NAMES = ['Dashboard', 'Courses', 'File history', 'Point in time', 'Activity', 'Settings'];

function status(state: RepoStatus['state']): RepoStatus {
  return { state, path: '/home/ana/Strata', defaultPath: '/home/ana/Strata' };
}

function api(state: RepoStatus['state'], extra: Partial<StrataApi> = {}): Partial<StrataApi> {
  return {
    'app.version': async () => ({ engine: '1.2.3' }),
    'repo.status': async () => status(state),
    ...extra,
  };
}

beforeEach(() => {
  catalog.courses = [];
  catalog.status = { state: 'ready' };
  catalog.providers = 0;
});
afterEach(cleanup);

describe('App shell', () => {
  it('navigates between the six screens, marking the current one', async () => {
    renderWithApi(<App />, api('unlocked'));
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const buttons = within(nav).getAllByRole('button');
    expect(buttons.map((button) => button.textContent)).toEqual(NAMES);
    await waitFor(() => expect(catalog.providers).toBe(1));
    expect(screen.getByRole('heading', { name: 'Dashboard', level: 2 })).toBeTruthy();
    expect(within(nav).getByRole('button', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');

    const headings: Record<string, string> = { 'File history': 'File history', 'Point in time': 'Point in time' };
    for (const name of NAMES.slice(1)) {
      fireEvent.click(within(nav).getByRole('button', { name }));
      expect(screen.getByRole('heading', { name: headings[name] ?? name, level: 2 })).toBeTruthy();
      expect(within(nav).getByRole('button', { name }).getAttribute('aria-current')).toBe('page');
      expect(within(nav).getByRole('button', { name: 'Dashboard' }).getAttribute('aria-current')).toBeNull();
    }
  });

  it('moves between navigation buttons with the arrow keys', async () => {
    renderWithApi(<App />, api('unlocked'));
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const dashboard = within(nav).getByRole('button', { name: 'Dashboard' });
    dashboard.focus();
    fireEvent.keyDown(dashboard, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(within(nav).getByRole('button', { name: 'Courses' }));
    fireEvent.keyDown(document.activeElement as Element, { key: 'End' });
    expect(document.activeElement).toBe(within(nav).getByRole('button', { name: 'Settings' }));
    fireEvent.keyDown(document.activeElement as Element, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(dashboard);
  });

  it('shows the catalog status in the header: Offline when the engine is unreachable', async () => {
    catalog.status = { state: 'ready', lastSynced: '2025-03-01T10:00:00.000Z' };
    const view = renderWithApi(<App />, api('unlocked'));
    const badge = await screen.findByRole('status', { name: 'Catalog status' });
    expect(badge.textContent).toBe('Up to date');
    catalog.status = { state: 'offline', error: 'Strata is not answering.', lastSynced: '2025-03-01T10:00:00.000Z' };
    view.rerender(<App />);
    const offline = screen.getByRole('status', { name: 'Catalog status' });
    expect(within(offline).getByText('Offline')).toBeTruthy();
    expect(offline.textContent).toContain('Strata is not answering.');
  });

  it('locks from the header and returns to the unlock screen', async () => {
    const lock = vi.fn<StrataApi['repo.lock']>(async () => status('locked'));
    renderWithApi(<App />, api('unlocked', { 'repo.lock': lock }));
    const header = (await screen.findByRole('navigation', { name: 'Main' })).previousElementSibling as HTMLElement;
    fireEvent.click(within(header).getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Unlock your repository' });
    expect(lock).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
    // The catalog stops with the lock (its effects are cleaned up after the commit).
    await waitFor(() => expect(catalog.providers).toBe(0));
  });

  it('first run: creating a repository leads to adding a course folder', async () => {
    const create = vi.fn<StrataApi['repo.create']>(async () => status('unlocked'));
    renderWithApi(<App />, api('none', { 'repo.create': create }));
    await screen.findByRole('heading', { name: 'Create a repository' });
    expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
    fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value: 'correct horse' } });
    fireEvent.change(screen.getByLabelText('Confirm passphrase'), { target: { value: 'correct horse' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create repository' }));

    await screen.findByRole('heading', { name: 'Add a course folder' });
    expect(create).toHaveBeenCalledWith({ path: '/home/ana/Strata', passphrase: 'correct horse' });
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('button', { name: 'Courses' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('list', { name: 'Getting started' })).toBeTruthy();
  });
});
