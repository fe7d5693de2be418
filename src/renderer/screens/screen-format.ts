// Display formatting the Dashboard, Activity and Settings screens share
// (sizes and counts are in ../format).

const money = new Map<number, Intl.NumberFormat>();

/** US dollars: cents, or four decimals under a dollar (cold storage is cheap). */
export function formatMoney(amount: number, currency = 'USD'): string {
  const digits = amount !== 0 && Math.abs(amount) < 1 ? 4 : 2;
  let format = money.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: digits,
    });
    money.set(digits, format);
  }
  return format.format(amount);
}

/** A whole percentage; one decimal under 10 (e.g. "4.5%"). */
export function formatPercent(percent: number): string {
  const rounded = Math.abs(percent) < 10 ? Math.round(percent * 10) / 10 : Math.round(percent);
  return `${rounded.toLocaleString('en-US')}%`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "5 minutes ago", "yesterday"; `now` for tests. */
export function formatRelative(iso: string, now = Date.now()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  let value = (time - now) / 1000;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return iso;
}
