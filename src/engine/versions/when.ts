// Moments in time as users write them: ISO 8601 ("2026-11-27", "2026-11-27T14:00",
// with or without a zone), or relative forms in local time: "now", "today",
// "yesterday 14:00", "14:30" (today), "3 days ago", "2 hours ago", "last week".

import { EngineError } from '../errors';

const UNITS: Record<string, number> = {
  second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000,
};

/** Parses `text` relative to `now`; a clear error for anything else. */
export function parseWhen(text: string, now: Date = new Date()): Date {
  const s = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const bad = (): never => {
    throw new EngineError('INVALID_ARGUMENT', `cannot read the time ${JSON.stringify(text)}: use ISO 8601 (2026-11-27 or 2026-11-27T14:00) or forms like "yesterday 14:00", "3 days ago", "now"`);
  };
  if (s === '') return bad();
  if (s === 'now') return new Date(now);
  const ago = /^(\d+) (second|minute|hour|day|week)s? ago$/.exec(s);
  if (ago) return new Date(now.getTime() - Number(ago[1]) * (UNITS[ago[2] as string] as number));
  if (s === 'last week') return new Date(now.getTime() - (UNITS.week as number));
  const day = /^(today|yesterday)(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s) ?? /^()(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (day) {
    const d = new Date(now);
    if (day[1] === 'yesterday') d.setDate(d.getDate() - 1);
    const [h, m, sec] = [Number(day[2] ?? 0), Number(day[3] ?? 0), Number(day[4] ?? 0)];
    if (h > 23 || m > 59 || sec > 59) return bad();
    d.setHours(h, m, sec, 0);
    return d;
  }
  // ISO 8601: a date, or a date and time; "2026-11-27 14:00" is accepted too. Without a zone: local time.
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!iso) return bad();
  const [, y, mo, da, h, mi, se, zone] = iso;
  if (zone) {
    const d = new Date(text.trim().replace(' ', 'T'));
    return Number.isNaN(d.getTime()) ? bad() : d;
  }
  const d = new Date(Number(y), Number(mo) - 1, Number(da), Number(h ?? 0), Number(mi ?? 0), Number(se ?? 0));
  if (d.getMonth() !== Number(mo) - 1 || d.getDate() !== Number(da) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59) return bad();
  return d;
}
