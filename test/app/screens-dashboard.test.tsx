// @vitest-environment happy-dom
// The Dashboard over a mocked API: tier figures, savings, cost, alerts, sync.

import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DashboardSummary, SyncStatus } from '../../src/shared/api';
import { StrataError } from '../../src/shared/errors';
import { DashboardScreen } from '../../src/renderer/screens/Dashboard';
import { renderWithApi } from './screens-harness';

// chart.js needs a canvas 2D context, which happy-dom lacks: the charts are
// replaced by a canvas carrying what the real one would draw.
vi.mock('react-chartjs-2', () => ({
  Bar: (props: { 'aria-label'?: string; data: { labels: string[]; datasets: { data: number[] }[] } }) => (
    <canvas
      role="img"
      aria-label={props['aria-label']}
      data-labels={props.data.labels.join('|')}
      data-values={props.data.datasets[0]?.data.join('|')}
    />
  ),
}));

afterEach(cleanup);

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function fixture(overrides: Partial<DashboardSummary> = {}): DashboardSummary {
  return {
    local: { objects: 120, bytes: 3 * GiB },
    evicted: { objects: 40, bytes: 512 * MiB },
    logicalBytes: 20 * GiB,
    storedBytes: 5 * GiB,
    dedupSavedBytes: 12 * GiB,
    compressionSavedBytes: 3 * GiB,
    remote: { name: 'campus-s3', hot: { objects: 130, bytes: 2 * GiB }, cold: { objects: 30, bytes: 10 * GiB }, tiered: true },
    cost: { perMonth: 1.6, allHot: 3.64, savingsPercent: 56.04, currency: 'USD' },
    sync: { state: 'error', remote: 'campus-s3', lastSync: '2026-03-01T10:00:00Z', error: 'Connection timed out' },
    alerts: [
      { level: 'warning', kind: 'disk', message: 'Only 1.2 GiB free on the disk that holds the repository.' },
      { level: 'error', kind: 'check', message: '2 packs failed their checksum.' },
      { level: 'warning', kind: 'conflict', message: 'notes.md was edited on two computers.' },
    ],
    ...overrides,
  };
}

describe('DashboardScreen', () => {
  it('shows bytes per tier, savings, cost against all hot and alerts', async () => {
    renderWithApi(<DashboardScreen />, { 'dashboard.summary': async () => fixture() });

    const cold = await screen.findByRole('row', { name: /Remote cold/ });
    expect(within(cold).getByText('10 GiB')).toBeTruthy();
    expect(within(cold).getByText('30')).toBeTruthy();
    expect(within(screen.getByRole('row', { name: /On this computer/ })).getByText('3 GiB')).toBeTruthy();
    expect(within(screen.getByRole('row', { name: /Evicted/ })).getByText('512 MiB')).toBeTruthy();
    expect(within(screen.getByRole('row', { name: /Remote hot/ })).getByText('2 GiB')).toBeTruthy();

    // The tier chart's text alternative and data carry the same figures.
    const tierChart = screen.getByRole('img', { name: /^Bytes per tier/ });
    expect(tierChart.getAttribute('aria-label')).toBe(
      'Bytes per tier: On this computer 3 GiB, Evicted 512 MiB, Remote hot 2 GiB, Remote cold 10 GiB.',
    );
    expect(tierChart.getAttribute('data-values')).toBe([3 * GiB, 512 * MiB, 2 * GiB, 10 * GiB].join('|'));

    // Dedup and compression: 5 of 20 GiB stored is a 75% saving.
    expect(screen.getByText('75%').closest('p')?.textContent).toBe('Saving 75% of space');
    expect(within(screen.getByText('Saved by deduplication').parentElement!).getByText('12 GiB')).toBeTruthy();
    expect(within(screen.getByText('Saved by compression').parentElement!).getByText('3 GiB')).toBeTruthy();

    // Cost against all hot.
    expect(screen.getByText('56%').closest('p')?.textContent).toBe('Saving 56% against keeping everything hot');
    expect(screen.getByRole('img', { name: /^Monthly cost/ }).getAttribute('aria-label')).toBe(
      'Monthly cost: $1.60 with your tier policy, $3.64 if everything were hot.',
    );
    expect(within(screen.getByRole('row', { name: /All hot/ })).getByText('$3.64 per month')).toBeTruthy();

    // Alerts: errors first, each with its level and a plain title.
    const alerts = within(screen.getByRole('list', { name: /Alerts/ })).getAllByRole('listitem');
    expect(alerts.map((item) => `${item.querySelector('strong')?.textContent} | ${item.querySelector('p')?.textContent}`)).toEqual([
      'Error: Integrity problem | 2 packs failed their checksum.',
      'Warning: Disk space | Only 1.2 GiB free on the disk that holds the repository.',
      'Warning: Edit conflict | notes.md was edited on two computers.',
    ]);
  });

  it('says so when there is no remote, no cost and no alert', async () => {
    renderWithApi(<DashboardScreen />, {
      'dashboard.summary': async () =>
        fixture({ remote: undefined, cost: undefined, alerts: [], sync: { state: 'off' } }),
    });
    expect(await screen.findByText('No alerts')).toBeTruthy();
    expect(screen.queryByRole('row', { name: /Remote hot/ })).toBeNull();
    expect(screen.getByText('Cost is estimated once a remote is set up.')).toBeTruthy();
    const sync = screen.getByRole('region', { name: 'Sync' });
    expect(within(sync).getByText('Off').closest('[role=status]')).toBeTruthy();
    expect(within(sync).getByText(/No remote is set up/)).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Sync now' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('"Sync now" calls sync.now, shows the new state and refreshes the figures', async () => {
    const synced: SyncStatus = { state: 'idle', remote: 'campus-s3', lastSync: new Date().toISOString() };
    const summary = vi
      .fn<() => Promise<DashboardSummary>>()
      .mockResolvedValueOnce(fixture())
      .mockResolvedValue(fixture({ sync: synced }));
    let finish: (status: SyncStatus) => void = () => {};
    const syncNow = vi.fn(() => new Promise<SyncStatus>((resolve) => (finish = resolve)));
    renderWithApi(<DashboardScreen />, { 'dashboard.summary': summary, 'sync.now': syncNow });

    expect(await screen.findByText('Sync failed')).toBeTruthy();
    expect(screen.getByText('Connection timed out')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    expect(syncNow).toHaveBeenCalledTimes(1);
    const busy = await screen.findByRole('button', { name: 'Syncing…' });
    expect((busy as HTMLButtonElement).disabled).toBe(true);

    await act(async () => finish(synced));
    expect(await screen.findByText('Up to date')).toBeTruthy();
    expect(screen.queryByText('Connection timed out')).toBeNull();
    await waitFor(() => expect(summary).toHaveBeenCalledTimes(2));
  });

  it('shows a sync.now failure', async () => {
    renderWithApi(<DashboardScreen />, {
      'dashboard.summary': async () => fixture({ sync: { state: 'idle' } }),
      'sync.now': async () => {
        throw new StrataError('UNAVAILABLE', 'The remote campus-s3 cannot be reached.');
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Sync now' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The remote campus-s3 cannot be reached.');
  });

  it('follows sync.status events and shows sync progress that can be cancelled', async () => {
    const cancel = vi.fn(async () => ({ cancelled: true }));
    const { events } = renderWithApi(<DashboardScreen />, {
      'dashboard.summary': async () => fixture({ sync: { state: 'idle' } }),
      'operations.cancel': cancel,
    });
    expect(await screen.findByText('Up to date')).toBeTruthy();

    act(() => events.emit('sync.status', { state: 'syncing', remote: 'campus-s3' }));
    expect(screen.getByText('Syncing…', { selector: 'span' })).toBeTruthy();
    act(() =>
      events.emit('operation.progress', { operation: 'sync', id: 'op-7', done: 3, total: 10, unit: 'objects', phase: 'running' }),
    );
    const bar = screen.getByRole('progressbar', { name: 'Sync progress' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([3, 10]);
    expect(screen.getByText('3 of 10 objects')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Cancel sync' }));
    await waitFor(() => expect(cancel).toHaveBeenCalledWith({ id: 'op-7' }));

    act(() => events.emit('operation.progress', { operation: 'sync', id: 'op-7', done: 3, total: 10, unit: 'objects', phase: 'cancelled' }));
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel sync' })).toBeNull();
  });

  it('shows an error with "Try again" when dashboard.summary fails', async () => {
    const summary = vi
      .fn<() => Promise<DashboardSummary>>()
      .mockRejectedValueOnce(new StrataError('LOCKED', 'Unlock the repository first.'))
      .mockResolvedValueOnce(fixture());
    renderWithApi(<DashboardScreen />, { 'dashboard.summary': summary });

    expect(screen.getByRole('status').textContent).toBe('Loading the dashboard…');
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading').textContent).toBe('The dashboard could not be loaded');
    expect(within(alert).getByText('Unlock the repository first.')).toBeTruthy();
    expect(screen.queryByRole('row')).toBeNull();

    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('row', { name: /Remote cold/ })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
