// A time shown relative ("5 minutes ago") with the exact time as its tooltip.

import { formatDateTime, formatRelative } from './screen-format';

export function When({ time }: { time: string }) {
  return (
    <time dateTime={time} title={formatDateTime(time)}>
      {formatRelative(time)}
    </time>
  );
}
