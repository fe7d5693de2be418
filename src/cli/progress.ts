// Progress display for long operations: a bar with files, bytes, rate and ETA
// on a terminal (stderr), nothing when piped or with --json.

import { SingleBar } from 'cli-progress';

export interface ProgressSink {
  update(done: number, total: number | undefined, detail: Record<string, string | number>): void;
  stop(): void;
}

const quiet: ProgressSink = { update: () => undefined, stop: () => undefined };

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A byte-based progress bar; `total` may be unknown at first. */
export function progressBar(label: string, enabled: boolean): ProgressSink {
  if (!enabled || !process.stderr.isTTY) return quiet;
  const started = Date.now();
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} {bar} {percentage}% | {what} | {doneText} of {totalText} | {rate}/s | ETA {eta_formatted}`,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    fps: 5,
  });
  let startedBar = false;
  return {
    update(done, total, detail) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      // Payload keys must not clash with cli-progress's own {total} and {value}.
      const payload = { ...detail, doneText: formatBytes(done), totalText: total === undefined ? '?' : formatBytes(total), rate: formatBytes(done / seconds) };
      if (!startedBar) {
        bar.start(total ?? Math.max(done, 1), done, payload);
        startedBar = true;
      } else {
        if (total !== undefined) bar.setTotal(total);
        else if (done > bar.getTotal()) bar.setTotal(done * 2);
        bar.update(done, payload);
      }
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
