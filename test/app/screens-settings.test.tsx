// @vitest-environment happy-dom
// The Settings screen over a mocked API: author, remotes, policy, ignore rules.

import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Course, RemoteInfo, Settings } from '../../src/shared/api';
import { StrataError } from '../../src/shared/errors';
import { SettingsScreen } from '../../src/renderer/screens/Settings';
import { renderWithApi } from './screens-harness';

const catalog = vi.hoisted(() => ({ courses: undefined as Course[] | undefined }));

vi.mock('../../src/renderer/catalog', () => ({
  useCourses: () => catalog.courses,
  useActivity: () => undefined,
  useCatalogStatus: () => ({ state: 'ready' }),
  useCatalogRefresh: () => () => {},
}));

const POLICY = '{\n  "readKeepsHotDays": 30\n}\n';

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    author: 'Ada Lovelace',
    remotes: [{ name: 'usb', hot: '/media/usb/strata' }],
    policy: POLICY,
    ...overrides,
  };
}

/** The text of the elements an input's aria-describedby points at. */
function description(element: HTMLElement): string {
  return (element.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

function type(label: string | RegExp, value: string): HTMLElement {
  const input = screen.getByLabelText(label);
  fireEvent.change(input, { target: { value } });
  return input;
}

beforeEach(() => {
  catalog.courses = [];
});
afterEach(cleanup);

describe('SettingsScreen', () => {
  it('loads, and shows an error with "Try again" when settings.get fails', async () => {
    const get = vi
      .fn<() => Promise<Settings>>()
      .mockRejectedValueOnce(new StrataError('LOCKED', 'Unlock the repository first.'))
      .mockResolvedValueOnce(settings());
    renderWithApi(<SettingsScreen />, { 'settings.get': get });
    expect(screen.getByText('Loading settings…')).toBeTruthy();
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('Unlock the repository first.')).toBeTruthy();
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(((await screen.findByLabelText('Author name')) as HTMLInputElement).value).toBe('Ada Lovelace');
  });

  it('saves the author', async () => {
    const setAuthor = vi.fn(async ({ author }: { author: string }) => settings({ author }));
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.setAuthor': setAuthor });
    await screen.findByLabelText('Author name');

    type('Author name', '  Grace Hopper ');
    fireEvent.click(screen.getByRole('button', { name: 'Save author' }));
    await waitFor(() => expect(setAuthor).toHaveBeenCalledWith({ author: 'Grace Hopper' }));
    expect(await screen.findByText('Author saved.')).toBeTruthy();
    expect((screen.getByLabelText('Author name') as HTMLInputElement).value).toBe('Grace Hopper');
  });

  it('shows an author error next to the field', async () => {
    const setAuthor = vi.fn(async () => {
      throw new StrataError('INVALID_ARGUMENT', 'An author cannot contain a line break.', 'author');
    });
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.setAuthor': setAuthor });
    await screen.findByLabelText('Author name');
    fireEvent.click(screen.getByRole('button', { name: 'Save author' }));
    const input = screen.getByLabelText('Author name');
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    expect(description(input)).toContain('An author cannot contain a line break.');
  });

  it('shows the policy error naming the setting at fault, beside the editor', async () => {
    const setPolicy = vi.fn(async () => {
      throw new StrataError('INVALID_ARGUMENT', 'tiers.json: "readKeepsHotDays" must be a number of days (0 or more)', 'readKeepsHotDays');
    });
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.setPolicy': setPolicy });
    const editor = (await screen.findByLabelText('Placement policy (JSON)')) as HTMLTextAreaElement;
    expect(editor.value).toBe(POLICY);
    expect((screen.getByRole('button', { name: 'Save policy' }) as HTMLButtonElement).disabled).toBe(true);

    type('Placement policy (JSON)', '{ "readKeepsHotDays": -1 }');
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(editor.getAttribute('aria-invalid')).toBe('true'));
    expect(setPolicy).toHaveBeenCalledWith({ policy: '{ "readKeepsHotDays": -1 }' });
    expect(description(editor)).toContain('tiers.json: "readKeepsHotDays" must be a number of days (0 or more)');
  });

  it('names the setting when the engine message does not, and checks JSON before sending', async () => {
    const setPolicy = vi.fn(async () => {
      throw new StrataError('INVALID_ARGUMENT', 'must be 0 or more', 'frequentReads');
    });
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.setPolicy': setPolicy });
    const editor = await screen.findByLabelText('Placement policy (JSON)');

    type('Placement policy (JSON)', '{ "frequentReads": ');
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(description(editor)).toMatch(/^Settings: .* Not valid JSON: /));
    expect(setPolicy).not.toHaveBeenCalled();

    type('Placement policy (JSON)', '{ "frequentReads": -2 }');
    expect(editor.getAttribute('aria-invalid')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(description(editor)).toContain('“frequentReads”: must be 0 or more'));
  });

  it('adds a remote', async () => {
    const addRemote = vi.fn(async (remote: RemoteInfo) => settings({ remotes: [...settings().remotes, remote] }));
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.addRemote': addRemote });
    await screen.findByLabelText('Remote name');
    expect(within(screen.getByRole('list', { name: 'Remotes' })).getAllByRole('listitem')).toHaveLength(1);

    type('Remote name', 'campus');
    type('Hot storage (URL or folder)', 's3://hot/strata?region=eu');
    type('Cold storage URL (optional)', 's3://cold/strata');
    fireEvent.click(screen.getByRole('button', { name: 'Add remote' }));
    await waitFor(() => expect(addRemote).toHaveBeenCalledWith({ name: 'campus', hot: 's3://hot/strata?region=eu', cold: 's3://cold/strata' }));
    const rows = await waitFor(() => {
      const items = within(screen.getByRole('list', { name: 'Remotes' })).getAllByRole('listitem');
      expect(items).toHaveLength(2);
      return items;
    });
    expect(within(rows[1]!).getByText('s3://cold/strata')).toBeTruthy();
    expect(screen.getByText('Remote “campus” added.')).toBeTruthy();
    expect((screen.getByLabelText('Remote name') as HTMLInputElement).value).toBe('');
  });

  it('shows a remote error next to the field it names, and omits an empty cold URL', async () => {
    const addRemote = vi.fn(async (_remote: RemoteInfo): Promise<Settings> => {
      throw new StrataError('INVALID_ARGUMENT', 'Not a URL Strata knows (s3://, file://) nor a folder.', 'hot');
    });
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.addRemote': addRemote });
    await screen.findByLabelText('Remote name');
    type('Remote name', 'campus');
    type('Hot storage (URL or folder)', 'ftp://nope');
    fireEvent.click(screen.getByRole('button', { name: 'Add remote' }));

    const hot = screen.getByLabelText('Hot storage (URL or folder)');
    await waitFor(() => expect(hot.getAttribute('aria-invalid')).toBe('true'));
    expect(addRemote).toHaveBeenCalledWith({ name: 'campus', hot: 'ftp://nope' });
    expect(description(hot)).toContain('Not a URL Strata knows (s3://, file://) nor a folder.');
    expect(screen.getByLabelText('Remote name').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByLabelText('Cold storage URL (optional)').getAttribute('aria-invalid')).toBeNull();
  });

  it('removes a remote only after confirmation', async () => {
    const removeRemote = vi.fn(async () => settings({ remotes: [] }));
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings(), 'settings.removeRemote': removeRemote });
    fireEvent.click(await screen.findByRole('button', { name: 'Remove remote usb' }));
    const keep = screen.getByRole('button', { name: 'Keep it' });
    expect(document.activeElement).toBe(keep);
    fireEvent.click(keep);
    expect(removeRemote).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Remove remote usb' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove usb' }));
    await waitFor(() => expect(removeRemote).toHaveBeenCalledWith({ name: 'usb' }));
    expect(await screen.findByText('No remotes yet')).toBeTruthy();
  });

  it('edits the ignore rules of the chosen course', async () => {
    catalog.courses = [
      { id: 'c1', name: 'Biology 101', path: '/b', paused: false, state: 'active', files: 3, bytes: 10 },
      { id: 'c2', name: 'History', path: '/h', paused: false, state: 'archived', files: 1, bytes: 5 },
    ];
    const ignoreRules = vi.fn(async ({ course }: { course: string }) => ({ rules: course === 'c2' ? '*.tmp\n' : '' }));
    const setIgnoreRules = vi.fn(async ({ rules }: { course: string; rules: string }) => ({ rules }));
    renderWithApi(<SettingsScreen />, {
      'settings.get': async () => settings(),
      'settings.ignoreRules': ignoreRules,
      'settings.setIgnoreRules': setIgnoreRules,
    });
    const select = await screen.findByLabelText('Course');
    expect(screen.queryByLabelText(/Ignore rules for/)).toBeNull();

    fireEvent.change(select, { target: { value: 'c2' } });
    const editor = (await screen.findByLabelText('Ignore rules for History')) as HTMLTextAreaElement;
    expect(ignoreRules).toHaveBeenCalledWith({ course: 'c2' });
    expect(editor.value).toBe('*.tmp\n');

    type('Ignore rules for History', '*.tmp\nbuild/\n');
    fireEvent.click(screen.getByRole('button', { name: 'Save ignore rules' }));
    await waitFor(() => expect(setIgnoreRules).toHaveBeenCalledWith({ course: 'c2', rules: '*.tmp\nbuild/\n' }));
    expect(await screen.findByText('Ignore rules saved.')).toBeTruthy();
  });

  it('says when there is no course to set ignore rules for', async () => {
    renderWithApi(<SettingsScreen />, { 'settings.get': async () => settings() });
    expect(await screen.findByText('No courses yet')).toBeTruthy();
    expect(screen.queryByLabelText('Course')).toBeNull();
  });
});
