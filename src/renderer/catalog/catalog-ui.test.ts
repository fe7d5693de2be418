// @vitest-environment happy-dom
// The catalog as screens use it: <CatalogProvider> and the hooks over a fake
// engine and fake-indexeddb. Offline (the engine failing) keeps the rows on
// screen; after a restart nothing shows until the engine hands out the key
// again, and locking drops it; a 10,000-version history comes back in order
// and VirtualList renders only a window of it.

// First: Dexie's liveQuery does nothing without a global indexedDB (each test still
// gets its own IDBFactory through catalogDatabases()).
import 'fake-indexeddb/auto';
import { createElement as h, useEffect, type ReactNode } from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FileVersion } from '../../shared/api';
import { ApiProvider } from '../api-context';
import { VirtualList } from '../components/VirtualList';
import type { CatalogDatabases } from './db';
import { CatalogProvider, useActivity, useCatalogStatus, useCourses, useFiles, useFileVersions, useVersionCount } from './index';
import { activityItem, course, FakeEngine, freshIndexedDb, unavailable, version } from './test-fakes';

const opened: CatalogDatabases[] = [];

afterEach(() => {
  cleanup();
  for (const databases of opened.splice(0)) databases.close();
});

function mount(engine: FakeEngine, databases: CatalogDatabases, children: ReactNode): void {
  opened.push(databases);
  render(
    h(ApiProvider, {
      client: engine.client(),
      children: h(CatalogProvider, { databases, options: { retry: { initialMs: 20, maxMs: 60 }, busyAfterMs: 2_000 }, children }),
    }),
  );
}

function Status() {
  const status = useCatalogStatus();
  return h('p', { 'data-testid': 'status' }, status.error ? `${status.state}: ${status.error}` : status.state);
}

function Overview({ course: id }: { course: string }) {
  const courses = useCourses();
  const files = useFiles(id);
  const activity = useActivity(5);
  const count = useVersionCount(id, 'a.md');
  return h(
    'div',
    null,
    h('ul', { 'aria-label': 'courses' }, courses?.map((c) => h('li', { key: c.id }, c.name))),
    h('ul', { 'aria-label': 'files' }, files?.map((f) => h('li', { key: f.file }, f.path))),
    h('ul', { 'aria-label': 'activity' }, activity?.map((a) => h('li', { key: a.id }, a.title))),
    h('p', { 'data-testid': 'count' }, count === undefined ? 'counting' : `a.md has ${count}`),
  );
}

function texts(list: string): string[] {
  return within(screen.getByRole('list', { name: list }))
    .queryAllByRole('listitem')
    .map((item) => item.textContent ?? '');
}

function seededEngine(): FakeEngine {
  const engine = new FakeEngine('repo-a');
  engine.courses = [course('c1', 'Physics'), course('c2', 'Algebra')];
  engine.activity = [activityItem('act-1', 1), activityItem('act-2', 2)];
  engine.record('dev-a', [version('c1', 'b', 1), version('c1', 'a', 1), version('c1', 'a', 2)]);
  return engine;
}

describe('CatalogProvider and hooks', () => {
  it('shows the catalog, stays browsable offline, and recovers when the engine is back', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    mount(engine, open(), [h(Status, { key: 's' }), h(Overview, { key: 'o', course: 'c1' })]);

    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('ready'));
    await waitFor(() => expect(texts('files')).toEqual(['a.md', 'b.md']));
    expect(texts('courses')).toEqual(['Algebra', 'Physics']);
    await waitFor(() => expect(texts('activity')).toEqual(['item act-2', 'item act-1']));
    expect(screen.getByTestId('count').textContent).toBe('a.md has 2');

    // The engine goes away while history changes.
    engine.failure = unavailable();
    engine.record('dev-a', [version('c1', 'e', 1), version('c1', 'a', 3)]);
    act(() => engine.emit('catalog.changed', { versions: 2 }));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('offline: Cannot reach Strata.'));
    expect(texts('files')).toEqual(['a.md', 'b.md']);
    expect(screen.getByTestId('count').textContent).toBe('a.md has 2');

    // It comes back: the retry catches up.
    engine.failure = undefined;
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('ready'));
    await waitFor(() => expect(texts('files')).toEqual(['a.md', 'b.md', 'e.md']));
    await waitFor(() => expect(screen.getByTestId('count').textContent).toBe('a.md has 3'));

    // Live events reach the screens too.
    act(() => engine.emit('activity', activityItem('act-3', 3)));
    await waitFor(() => expect(texts('activity')[0]).toBe('item act-3'));
  });

  it('after a restart with the engine unreachable, shows nothing of the stored catalog until the key comes', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    mount(engine, open(), h(Status));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('ready'));
    cleanup();
    opened.splice(0).forEach((databases) => databases.close());

    // A later page on the same origin (the server gone): the stored rows do not open without the key.
    engine.failure = unavailable();
    mount(engine, open(), [h(Status, { key: 's' }), h(Overview, { key: 'o', course: 'c1' })]);
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('offline: Cannot reach Strata.'));
    const asked = engine.keyCalls;
    await waitFor(() => expect(engine.keyCalls).toBeGreaterThan(asked));
    expect(texts('files')).toEqual([]);
    expect(texts('courses')).toEqual([]);
    expect(texts('activity')).toEqual([]);
    const calls = engine.calls.length;

    engine.failure = undefined;
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('ready'));
    await waitFor(() => expect(texts('files')).toEqual(['a.md', 'b.md']));
    expect(texts('courses')).toEqual(['Algebra', 'Physics']);
    // It opened the stored catalog and caught up from its cursor.
    expect(engine.calls.slice(calls).at(-1)).toEqual({ cursor: { 'dev-a': 1 }, repository: 'repo-a' });
  });

  it('drops the catalog and its key on lock, and asks for the key again on unlock', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    mount(engine, open(), [h(Status, { key: 's' }), h(Overview, { key: 'o', course: 'c1' })]);
    await waitFor(() => expect(texts('files')).toEqual(['a.md', 'b.md']));
    expect(engine.keyCalls).toBe(1);

    act(() => engine.emit('repo.changed', { state: 'locked', path: engine.location, defaultPath: engine.location }));
    await waitFor(() => expect(texts('files')).toEqual([]));
    expect(texts('courses')).toEqual([]);

    act(() => engine.emit('repo.changed', { state: 'unlocked', path: engine.location, defaultPath: engine.location }));
    await waitFor(() => expect(texts('files')).toEqual(['a.md', 'b.md']));
    expect(engine.keyCalls).toBe(2);
  });
});

describe('a 10,000-version history', () => {
  function Timeline({ onVersions, onSelect }: { onVersions: (versions: FileVersion[]) => void; onSelect: (version: FileVersion) => void }) {
    const versions = useFileVersions('c1', 'big.md');
    useEffect(() => {
      if (versions) onVersions(versions);
    }, [versions, onVersions]);
    if (!versions || versions.length === 0) return h('p', null, 'loading');
    return h(VirtualList<FileVersion>, {
      items: versions,
      getKey: (v) => v.key,
      renderRow: (v, state) => h('span', null, `v${v.n}${state.active ? ' (active)' : ''}`),
      rowHeight: 24,
      height: 480,
      label: 'Versions',
      onSelect,
    });
  }

  it('comes back oldest first and only a window of rows is rendered', async () => {
    const engine = new FakeEngine();
    engine.courses = [course('c1', 'Physics')];
    const total = 10_000;
    engine.record(
      'dev-a',
      Array.from({ length: total }, (_, i) => version('c1', 'big', i + 1, { path: 'big.md' })),
    );
    const { open } = freshIndexedDb();
    let seen: FileVersion[] = [];
    const onVersions = (versions: FileVersion[]): void => {
      seen = versions;
    };
    const onSelect = vi.fn<(version: FileVersion) => void>();
    mount(engine, open(), h(Timeline, { onVersions, onSelect }));

    const list = await screen.findByRole('listbox', { name: 'Versions' }, { timeout: 20_000 });
    expect(seen).toHaveLength(total);
    expect(seen.every((v, i) => v.n === i + 1)).toBe(true);

    const rows = within(list).getAllByRole('option');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]?.textContent).toBe('v1 (active)');
    expect(rows[0]?.getAttribute('aria-setsize')).toBe(String(total));

    // Scrolling to the middle renders the rows there, and still only a window.
    const rendered = (): number[] => within(list).getAllByRole('option').map((row) => Number(row.getAttribute('aria-posinset')));
    list.scrollTop = 5_000 * 24;
    fireEvent.scroll(list);
    await waitFor(() => expect(rendered()).toContain(5_001));
    expect(rendered().length).toBeLessThan(60);

    // Keyboard: End goes to the newest (scrolled to), Enter selects the one above it.
    // happy-dom lays nothing out: give the list the scroll extent a browser would.
    Object.defineProperty(list, 'clientHeight', { configurable: true, value: 480 });
    Object.defineProperty(list, 'scrollHeight', { configurable: true, value: total * 24 });
    const scrollTo = vi.spyOn(list, 'scrollTo');
    list.focus();
    fireEvent.keyDown(list, { key: 'End' });
    await waitFor(() => {
      const id = list.getAttribute('aria-activedescendant');
      expect(id && document.getElementById(id)?.textContent).toBe(`v${total} (active)`);
    });
    expect(scrollTo).toHaveBeenLastCalledWith(expect.objectContaining({ top: total * 24 - 480 }));
    expect(rendered().length).toBeLessThan(60);
    fireEvent.keyDown(list, { key: 'ArrowUp' });
    fireEvent.keyDown(list, { key: 'Enter' });
    expect(onSelect).toHaveBeenCalledTimes(1);
    expect(onSelect.mock.calls[0]?.[0].n).toBe(total - 1);
    fireEvent.keyDown(list, { key: 'Home' });
    await waitFor(() => expect(within(list).getAllByRole('option')[0]?.textContent).toBe('v1 (active)'));
  });
});
