// The light/dark theme switch. The choice ('system', 'light' or 'dark') is kept
// in localStorage and applied as <html data-theme="light|dark">; without the
// attribute styles.css follows prefers-color-scheme. No inline <style>: the
// attribute alone switches the CSS variables, so the strict CSP holds.

import { useEffect, useId, useState, useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'strata.theme';

const choices: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** The saved choice; 'system' when none (or storage is unavailable). */
export function storedThemeChoice(): ThemeChoice {
  try {
    const value = globalThis.localStorage?.getItem(THEME_STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/** Sets or clears data-theme on <html>. */
export function applyThemeChoice(choice: ThemeChoice): void {
  if (typeof document === 'undefined') return;
  const root = document.documentElement;
  if (choice === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', choice);
}

function saveThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') globalThis.localStorage?.removeItem(THEME_STORAGE_KEY);
    else globalThis.localStorage?.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    // Storage refused (private mode): the choice lasts for this session only.
  }
}

// Applied as soon as the module loads (the shell imports it), before the first paint.
applyThemeChoice(storedThemeChoice());

function systemPrefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** The theme in effect now: the explicit choice, else the system's. */
export function resolvedTheme(): Theme {
  if (typeof document !== 'undefined') {
    const attribute = document.documentElement.getAttribute('data-theme');
    if (attribute === 'light' || attribute === 'dark') return attribute;
  }
  return systemPrefersDark() ? 'dark' : 'light';
}

function subscribeTheme(onChange: () => void): () => void {
  const observer =
    typeof MutationObserver === 'function' && typeof document !== 'undefined' ? new MutationObserver(onChange) : undefined;
  observer?.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
  media?.addEventListener?.('change', onChange);
  return () => {
    observer?.disconnect();
    media?.removeEventListener?.('change', onChange);
  };
}

/** Re-renders when the theme in effect changes (e.g. to recolour canvas charts). */
export function useResolvedTheme(): Theme {
  return useSyncExternalStore(subscribeTheme, resolvedTheme, () => 'light');
}

/** System / Light / Dark, as a radio group named "Theme". */
export function ThemeToggle({ className }: { className?: string }) {
  const name = useId();
  const [choice, setChoice] = useState<ThemeChoice>(storedThemeChoice);

  useEffect(() => {
    applyThemeChoice(choice);
  }, [choice]);

  function choose(next: ThemeChoice) {
    saveThemeChoice(next);
    setChoice(next);
  }

  return (
    <fieldset className={['theme-toggle', className].filter(Boolean).join(' ')}>
      <legend className="visually-hidden">Theme</legend>
      {choices.map((option) => (
        <label key={option.value} className="theme-option">
          <input
            type="radio"
            name={name}
            value={option.value}
            checked={choice === option.value}
            onChange={() => choose(option.value)}
          />
          <span>{option.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
