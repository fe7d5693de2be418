// A time shown relative ("5 minutes ago") with the exact time as its tooltip.

import { formatRelative } from './screen-format';
import { formatShortTime } from './time';

export function When({ time }: { time: string }) {
  return (
    <time dateTime={time} title={formatShortTime(time)}>
      {formatRelative(time)}
    </time>
  );
}
