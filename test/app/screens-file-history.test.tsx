// @vitest-environment happy-dom
// The File history screen over a mocked catalog and API: the file tree and its
// search, the timeline (and a new version appearing), comparisons, rollback
// (confirmed), restore elsewhere, tags, and progress with Cancel.

import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Comparison, Course, FileEntry, FileVersion, RestoreSummary, StrataApi } from '../../src/shared/api';
import type { CatalogStatus } from '../../src/renderer/catalog';
import { FileHistoryScreen } from '../../src/renderer/screens/FileHistory';
import { StrataError } from '../../src/shared/errors';
import { renderWithApi } from './screens-harness';

const catalog = vi.hoisted(() => ({
  courses: undefined as Course[] | undefined,
  status: { state: 'ready' } as CatalogStatus,
  files: {} as Record<string, FileEntry[] | undefined>,
  versions: {} as Record<string, FileVersion[] | undefined>,
}));

vi.mock('../../src/renderer/catalog', () => ({
  useCourses: () => catalog.courses,
  useCatalogStatus: () => catalog.status,
  useFiles: (course: string) => catalog.files[course],
  useFileVersions: (course: string, path: string) => catalog.versions[`${course}:${path}`],
}));

const course: Course = { id: 'c1', name: 'Ceramics', path: '/home/ana/Ceramics', paused: false, state: 'active', files: 3, bytes: 900 };

function entry(path: string, extra: Partial<FileEntry> = {}): FileEntry {
  return { course: 'c1', file: `id-${path}`, path, deleted: false, size: 100, versions: 3, lastChange: '2025-03-03T10:00:00.000Z', ...extra };
}

function version(n: number, extra: Partial<FileVersion> = {}): FileVersion {
  return {
    key: `id-notes/week1.md@${n}`,
    course: 'c1',
    file: 'id-notes/week1.md',
    n,
    path: 'notes/week1.md',
    op: n === 1 ? 'add' : 'edit',
    time: `2025-03-0${n}T10:00:00.000Z`,
    author: n === 3 ? 'bob' : 'ana',
    device: 'laptop',
    size: 100 + n,
    sha256: `sha${n}`,
    kind: 'text',
    summary: `summary of ${n}`,
    tags: n === 2 ? ['draft'] : [],
    ...extra,
  };
}

const textComparison: Comparison = {
  kind: 'text',
  from: { n: 1, label: '@1', size: 101, sha256: 'sha1' },
  to: { n: 3, label: '@3', size: 103, sha256: 'sha3' },
  added: 1,
  removed: 1,
  lines: [
    { kind: 'same', left: 1, right: 1, text: '# Week 1' },
    { kind: 'removed', left: 2, text: 'Glaze at 900 degrees', marks: [[9, 12]] },
    { kind: 'added', right: 2, text: 'Glaze at 1200 degrees', marks: [[9, 13]], by: { n: 3, author: 'bob' } },
  ],
};

const summary: RestoreSummary = { written: ['notes/week1.md'], removed: [], versions: 1, target: '/home/ana/Ceramics' };

function timeline(): HTMLElement {
  return screen.getByRole('listbox', { name: 'Versions of notes/week1.md' });
}

function option(list: HTMLElement, name: RegExp): HTMLElement {
  return within(list).getByRole('option', { name });
}

async function openWeek1(api: Partial<StrataApi> = {}) {
  const result = renderWithApi(<FileHistoryScreen />, api);
  fireEvent.click(option(screen.getByRole('listbox', { name: 'Files' }), /week1\.md/));
  await screen.findByRole('listbox', { name: 'Versions of notes/week1.md' });
  return result;
}

beforeEach(() => {
  catalog.courses = [course];
  catalog.status = { state: 'ready' };
  catalog.files = {
    c1: [entry('notes/week1.md'), entry('notes/week2.md'), entry('old.txt', { deleted: true }), entry('slides/intro.pdf')],
  };
  catalog.versions = { 'c1:notes/week1.md': [version(1), version(2), version(3)] };
});
afterEach(cleanup);

describe('FileHistoryScreen', () => {
  it('shows loading, empty and error states', () => {
    catalog.courses = undefined;
    const view = renderWithApi(<FileHistoryScreen />, {});
    expect(screen.getByRole('status').textContent).toBe('Loading courses…');
    catalog.courses = [];
    view.rerender(<FileHistoryScreen />);
    expect(screen.getByText('No courses yet — add a course folder on the Courses screen.')).toBeTruthy();
    catalog.status = { state: 'offline', error: 'Strata is not answering.' };
    view.rerender(<FileHistoryScreen />);
    expect(screen.getByRole('alert').textContent).toContain('Strata is not answering.');
    catalog.courses = [course];
    catalog.files = {};
    view.rerender(<FileHistoryScreen />);
    expect(screen.getByRole('status').textContent).toBe('Loading files…');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('lists the course files as a tree, deleted files marked, and filters by search', () => {
    renderWithApi(<FileHistoryScreen />, {});
    expect(screen.getByLabelText('Course')).toHaveProperty('value', 'c1');
    const files = screen.getByRole('listbox', { name: 'Files' });
    const names = () => within(files).getAllByRole('option').map((row) => row.textContent ?? '');
    expect(names()).toEqual([
      '▾notes/ folder, open',
      'week1.md',
      'week2.md',
      '▾slides/ folder, open',
      'intro.pdf',
      'old.txtdeleted',
    ]);
    expect(option(files, /old\.txt/).querySelector('.deleted')).not.toBeNull();
    expect(option(files, /week1\.md/).querySelector('.deleted')).toBeNull();

    fireEvent.change(screen.getByLabelText('Search files'), { target: { value: 'WEEK' } });
    expect(names()).toEqual(['notes/week1.md', 'notes/week2.md']);
    expect(screen.getByText('2 of 4 files match')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Search files'), { target: { value: 'nothing like it' } });
    expect(screen.queryByRole('listbox', { name: 'Files' })).toBeNull();
    expect(screen.getByText('No file matches the search.')).toBeTruthy();
  });

  it('folds a folder when it is selected', () => {
    renderWithApi(<FileHistoryScreen />, {});
    const files = screen.getByRole('listbox', { name: 'Files' });
    fireEvent.click(option(files, /^notes\//));
    expect(within(files).queryByRole('option', { name: /week1\.md/ })).toBeNull();
    expect(option(files, /^notes\//).textContent).toBe('▸notes/ folder, folded');
  });

  it('shows the timeline of the selected file, and a new version when it arrives', async () => {
    const view = await openWeek1();
    const list = timeline();
    const rows = within(list).getAllByRole('option');
    expect(rows.map((row) => row.querySelector('.version-n')?.textContent)).toEqual(['@1', '@2', '@3', 'Now']);
    const second = option(list, /^@2/);
    expect(second.textContent).toContain('ana');
    expect(second.textContent).toContain('summary of 2');
    expect(within(second).getByText('draft').className).toBe('tag');
    expect(within(second).getByText('edited')).toBeTruthy();
    expect(option(list, /^@3/).textContent).toContain('bob');
    expect(screen.getByText(/^3 versions, newest @3/)).toBeTruthy();

    catalog.versions = { 'c1:notes/week1.md': [version(1), version(2), version(3), version(4, { author: 'cleo', summary: 'fixed typo' })] };
    view.rerender(<FileHistoryScreen />);
    const fourth = option(timeline(), /^@4/);
    expect(fourth.textContent).toContain('cleo');
    expect(fourth.textContent).toContain('fixed typo');
    expect(screen.getByText(/^4 versions, newest @4/)).toBeTruthy();
  });

  it('renders only the rows in view of a 10,000-version timeline', async () => {
    catalog.versions = {
      'c1:notes/week1.md': Array.from({ length: 10_000 }, (_, index) =>
        version(index + 1, { time: new Date(Date.UTC(2024, 0, 1) + index * 60_000).toISOString() }),
      ),
    };
    await openWeek1();
    const rows = within(timeline()).getAllByRole('option');
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]?.getAttribute('aria-setsize')).toBe('10001');
    expect(screen.getByText(/^10,000 versions, newest @10000/)).toBeTruthy();
  });

  it('compares two versions: side by side, added and removed lines with marks and attribution', async () => {
    const compare = vi.fn<StrataApi['files.compare']>(async () => textComparison);
    await openWeek1({ 'files.compare': compare });
    const compareButton = screen.getByRole('button', { name: 'Compare' });
    expect(compareButton).toHaveProperty('disabled', true);

    fireEvent.click(option(timeline(), /^@3/));
    expect(compareButton).toHaveProperty('disabled', true);
    fireEvent.click(option(timeline(), /^@1/));
    expect(screen.getByText('Selected: @3 and @1.')).toBeTruthy();
    expect(compareButton).toHaveProperty('disabled', false);
    fireEvent.click(compareButton);

    const result = await screen.findByRole('region', { name: 'Comparison of @1 and @3' });
    expect(compare).toHaveBeenCalledWith({ course: 'c1', path: 'notes/week1.md', a: 1, b: 3 });
    const table = within(result).getByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    const [same, changed] = rows as [HTMLElement, HTMLElement];
    expect(same.querySelectorAll('.diff-same')).toHaveLength(2);

    const removed = changed.querySelector('.diff-removed') as HTMLElement;
    const added = changed.querySelector('.diff-added') as HTMLElement;
    expect(removed.textContent).toContain('Removed: ');
    expect(removed.textContent).toContain('Glaze at 900 degrees');
    expect([...removed.querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['900']);
    expect(added.textContent).toContain('Added: ');
    expect([...added.querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['1200']);
    expect(within(added).getByText('by bob @3')).toBeTruthy();
    expect(removed.textContent).not.toContain('by bob');
    // Line numbers: old on the left, new on the right.
    expect([...changed.querySelectorAll('.diff-number')].map((cell) => cell.textContent)).toEqual(['2', '2']);
    expect(within(result).getByText('+1')).toBeTruthy();
    expect(within(result).getByText('−1')).toBeTruthy();
  });

  it('compares a version with the file on disk now (b absent)', async () => {
    const compare = vi.fn<StrataApi['files.compare']>(async () => ({ ...textComparison, to: { label: 'Now', size: 1, sha256: 'x' } }));
    await openWeek1({ 'files.compare': compare });
    fireEvent.click(option(timeline(), /^Now/));
    fireEvent.click(option(timeline(), /^@2/));
    fireEvent.click(screen.getByRole('button', { name: 'Compare' }));
    await screen.findByRole('region', { name: 'Comparison of @1 and Now' });
    expect(compare).toHaveBeenCalledWith({ course: 'c1', path: 'notes/week1.md', a: 2 });
  });

  it('shows images side by side and binaries as metadata', async () => {
    const image: Comparison = {
      kind: 'image',
      from: { n: 1, label: '@1', size: 2048, sha256: 'aaa', image: 'data:image/png;base64,AAAA', dimensions: { width: 10, height: 20 } },
      to: { n: 2, label: '@2', size: 4096, sha256: 'bbb', image: 'data:image/png;base64,BBBB', dimensions: { width: 30, height: 40 } },
    };
    const binary: Comparison = {
      kind: 'binary',
      from: { n: 1, label: '@1', size: 5000, sha256: '0123456789abcdef0123', type: 'application/pdf' },
      to: { n: 2, label: '@2', size: 6000, sha256: 'fedcba9876543210fedc', type: 'application/pdf' },
      chunksChanged: 2,
      chunks: 7,
      summary: 'Two pages changed.',
    };
    const compare = vi.fn<StrataApi['files.compare']>().mockResolvedValueOnce(image).mockResolvedValueOnce(binary);
    await openWeek1({ 'files.compare': compare });
    fireEvent.click(option(timeline(), /^@1/));
    fireEvent.click(option(timeline(), /^@2/));
    fireEvent.click(screen.getByRole('button', { name: 'Compare' }));
    const images = await screen.findAllByRole('img');
    expect(images.map((img) => img.getAttribute('src'))).toEqual(['data:image/png;base64,AAAA', 'data:image/png;base64,BBBB']);
    expect(screen.getByText('30 × 40')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Compare' }));
    await screen.findByText(/Chunks changed: 2 of 7\./);
    expect(screen.queryAllByRole('img')).toHaveLength(0);
    expect(screen.getAllByText('application/pdf')).toHaveLength(2);
    expect(screen.getByText('0123456789abcdef')).toBeTruthy();
    expect(screen.getByText('4.9 KiB')).toBeTruthy();
    expect(screen.getByText('5.9 KiB')).toBeTruthy();
    expect(screen.getByText(/Two pages changed\./)).toBeTruthy();
  });

  it('rolls back only after confirming; Escape cancels', async () => {
    const rollback = vi.fn<StrataApi['files.rollback']>(async () => summary);
    await openWeek1({ 'files.rollback': rollback });
    expect(screen.getByRole('button', { name: 'Roll back' })).toHaveProperty('disabled', true);
    fireEvent.click(option(timeline(), /^@2/));
    fireEvent.click(screen.getByRole('button', { name: 'Roll back to @2' }));

    let dialog = screen.getByRole('dialog', { name: 'Roll back notes/week1.md to @2?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    // Focus stays inside: Tab from the last button wraps to the first.
    fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Roll back' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(rollback).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Roll back to @2' }));
    dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(rollback).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Roll back to @2' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Roll back' }));
    await screen.findByText('Rolled back notes/week1.md to @2. The rollback is recorded as a new version.');
    expect(rollback).toHaveBeenCalledTimes(1);
    expect(rollback).toHaveBeenCalledWith({ course: 'c1', path: 'notes/week1.md', n: 2 });
  });

  it('shows progress of a long rollback and cancels it', async () => {
    let fail: (error: unknown) => void = () => {};
    const rollback = vi.fn<StrataApi['files.rollback']>(() => new Promise((_resolve, reject) => (fail = reject)));
    const cancel = vi.fn<StrataApi['operations.cancel']>(async () => ({ cancelled: true }));
    const { events } = await openWeek1({ 'files.rollback': rollback, 'operations.cancel': cancel });
    fireEvent.click(option(timeline(), /^@1/));
    fireEvent.click(screen.getByRole('button', { name: 'Roll back to @1' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Roll back' }));
    await waitFor(() => expect(rollback).toHaveBeenCalled());

    act(() =>
      events.emit('operation.progress', { operation: 'rollback', id: 'op-7', done: 512, total: 2048, unit: 'bytes', phase: 'running' }),
    );
    expect(screen.getByText('Working…').getAttribute('role')).toBe('status');
    const bar = screen.getByRole('progressbar', { name: 'Rollback progress' });
    expect(bar.getAttribute('value')).toBe('512');
    expect(bar.getAttribute('max')).toBe('2048');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel rollback' }));
    await waitFor(() => expect(cancel).toHaveBeenCalledWith({ id: 'op-7' }));

    act(() => events.emit('operation.progress', { operation: 'rollback', id: 'op-7', done: 512, unit: 'bytes', phase: 'cancelled' }));
    await act(async () => fail(new StrataError('CANCELLED', 'The rollback was cancelled.')));
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel rollback' })).toBeNull();
    expect(screen.queryByText('Working…')).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe('The rollback was cancelled.');
  });

  it('restores a version elsewhere and tags it', async () => {
    const restoreTo = vi.fn<StrataApi['files.restoreTo']>(async ({ target }) => ({ ...summary, target }));
    const tag = vi.fn<StrataApi['files.tag']>(async (args) => version(args.n, { tags: [args.tag] }));
    await openWeek1({ 'files.restoreTo': restoreTo, 'files.tag': tag });
    expect(screen.queryByLabelText('Tag')).toBeNull();
    fireEvent.click(option(timeline(), /^@3/));

    fireEvent.click(screen.getByRole('button', { name: 'Restore elsewhere…' }));
    fireEvent.change(screen.getByLabelText('Target folder'), { target: { value: '/tmp/out' } });
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await screen.findByText('Restored @3 to /tmp/out.');
    expect(restoreTo).toHaveBeenCalledWith({ course: 'c1', path: 'notes/week1.md', n: 3, target: '/tmp/out' });

    fireEvent.change(screen.getByLabelText('Tag'), { target: { value: 'final' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add tag' }));
    await screen.findByText('Tagged @3 “final”.');
    expect(tag).toHaveBeenCalledWith({ course: 'c1', path: 'notes/week1.md', n: 3, tag: 'final' });
  });

  it('says when the version could not be restored, and why', async () => {
    const restoreTo = vi.fn<StrataApi['files.restoreTo']>(async ({ target }) => ({
      written: [], removed: [], versions: 0, target,
      notRestored: [{ path: 'week1.md', reason: 'damaged', message: 'damaged object data/ab/ab12: pack is truncated' }],
    }));
    await openWeek1({ 'files.restoreTo': restoreTo });
    fireEvent.click(option(timeline(), /^@3/));
    fireEvent.click(screen.getByRole('button', { name: 'Restore elsewhere…' }));
    fireEvent.change(screen.getByLabelText('Target folder'), { target: { value: '/tmp/out' } });
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await screen.findByText('Could not restore @3: damaged object data/ab/ab12: pack is truncated');
    expect(screen.queryByText('Restored @3 to /tmp/out.')).toBeNull();
  });
});
