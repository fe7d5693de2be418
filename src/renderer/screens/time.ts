// Time formatting and conversion for the history screens.

/** A version's time, to the second (several versions can share a minute). */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Shorter, for tables: date and minutes. */
export function formatShortTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const pad = (value: number) => String(value).padStart(2, '0');

/** An ISO time as a `datetime-local` input value (local time, to the second). */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/**
 * A `datetime-local` value back to an ISO time. The input shows whole seconds,
 * so the moment is the end of that second: a version saved at 10:00:00.400
 * belongs to "10:00:00".
 */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  if (date.getMilliseconds() === 0) date.setMilliseconds(999);
  return date.toISOString();
}
