// @vitest-environment happy-dom
// The theme toggle: data-theme on <html>, kept in localStorage.

import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { THEME_STORAGE_KEY, ThemeToggle } from '../../src/renderer/components/ThemeToggle';

const root = document.documentElement;

function radio(name: string): HTMLInputElement {
  return screen.getByRole('radio', { name }) as HTMLInputElement;
}

beforeEach(() => {
  localStorage.clear();
  root.removeAttribute('data-theme');
});
afterEach(cleanup);

describe('ThemeToggle', () => {
  it('follows the system until the user picks a theme, then switches data-theme and keeps it', () => {
    render(<ThemeToggle />);
    expect(screen.getByRole('group', { name: 'Theme' })).toBeTruthy();
    expect(radio('System').checked).toBe(true);
    expect(root.hasAttribute('data-theme')).toBe(false);

    fireEvent.click(radio('Dark'));
    expect(root.getAttribute('data-theme')).toBe('dark');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    expect(radio('Dark').checked).toBe(true);

    fireEvent.click(radio('Light'));
    expect(root.getAttribute('data-theme')).toBe('light');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');

    // A new window (remount) starts from the saved choice.
    cleanup();
    root.removeAttribute('data-theme');
    render(<ThemeToggle />);
    expect(radio('Light').checked).toBe(true);
    expect(root.getAttribute('data-theme')).toBe('light');

    fireEvent.click(radio('System'));
    expect(root.hasAttribute('data-theme')).toBe(false);
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBeNull();
  });

  it('applies the saved theme as soon as the module loads, before any toggle is mounted', async () => {
    localStorage.setItem(THEME_STORAGE_KEY, 'dark');
    vi.resetModules();
    await import('../../src/renderer/components/ThemeToggle');
    expect(root.getAttribute('data-theme')).toBe('dark');
  });

  it('ignores a saved value it does not know', async () => {
    localStorage.setItem(THEME_STORAGE_KEY, 'purple');
    vi.resetModules();
    const fresh = await import('../../src/renderer/components/ThemeToggle');
    expect(root.hasAttribute('data-theme')).toBe(false);
    render(<fresh.ThemeToggle />);
    expect(radio('System').checked).toBe(true);
  });
});
