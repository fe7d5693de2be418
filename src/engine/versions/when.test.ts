import { describe, expect, it } from 'vitest';
import { parseWhen } from './when';
import { parseVersionRef } from './lookup';

const now = new Date(2026, 10, 28, 9, 30, 15); // local time

describe('parseWhen', () => {
  it('reads relative forms in local time', () => {
    expect(parseWhen('now', now).getTime()).toBe(now.getTime());
    expect(parseWhen('yesterday 14:00', now)).toEqual(new Date(2026, 10, 27, 14, 0, 0));
    expect(parseWhen('today', now)).toEqual(new Date(2026, 10, 28, 0, 0, 0));
    expect(parseWhen('08:05', now)).toEqual(new Date(2026, 10, 28, 8, 5, 0));
    expect(parseWhen('3 days ago', now).getTime()).toBe(now.getTime() - 3 * 86_400_000);
    expect(parseWhen('1 hour ago', now).getTime()).toBe(now.getTime() - 3_600_000);
    expect(parseWhen('  Last   Week ', now).getTime()).toBe(now.getTime() - 7 * 86_400_000);
  });

  it('reads ISO 8601 dates and times, local without a zone', () => {
    expect(parseWhen('2026-11-27', now)).toEqual(new Date(2026, 10, 27));
    expect(parseWhen('2026-11-27T14:05', now)).toEqual(new Date(2026, 10, 27, 14, 5));
    expect(parseWhen('2026-11-27 14:05:09', now)).toEqual(new Date(2026, 10, 27, 14, 5, 9));
    expect(parseWhen('2026-11-27T14:05:00Z', now).toISOString()).toBe('2026-11-27T14:05:00.000Z');
    expect(parseWhen('2026-11-27T14:05:00+02:00', now).toISOString()).toBe('2026-11-27T12:05:00.000Z');
  });

  it('refuses what it cannot read, with the accepted forms in the message', () => {
    for (const bad of ['', 'soon', '2026-02-30', '25:00', 'yesterday 24:10', '2026-13-01', 'three days ago']) {
      expect(() => parseWhen(bad, now)).toThrow(/cannot read the time .*ISO 8601/);
    }
  });
});

describe('parseVersionRef', () => {
  it('splits PATH@N and leaves other @ alone', () => {
    expect(parseVersionRef('lessons/intro.md@3')).toEqual({ path: 'lessons/intro.md', n: 3 });
    expect(parseVersionRef('icon@2x.png')).toEqual({ path: 'icon@2x.png' });
    expect(parseVersionRef('notes.md')).toEqual({ path: 'notes.md' });
    expect(parseVersionRef('a@b@12')).toEqual({ path: 'a@b', n: 12 });
    expect(() => parseVersionRef('a.md@0')).toThrow(/bad version number/);
  });
});
