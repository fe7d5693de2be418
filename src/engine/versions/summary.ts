// The generated change summary of a version: "+12 -3 lines" for text,
// "image replaced" or "3 of 40 chunks changed" for binary files.

import { diffLines } from 'diff';

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|tiff?|svg|heic|avif)$/i;

export function countLines(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

export function lineChanges(before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const part of diffLines(before, after)) {
    const n = part.count ?? countLines(part.value);
    if (part.added) added += n;
    else if (part.removed) removed += n;
  }
  return { added, removed };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Summary of a new file. */
export function addedSummary(size: number, text: string | undefined): string {
  return text !== undefined ? `added, ${countLines(text)} lines` : `added, ${formatSize(size)}`;
}

/** Summary of a changed file, from the texts when both are text, else from the chunk ids. */
export function changeSummary(path: string, before: { text?: string; chunks: string[] }, after: { text?: string; chunks: string[] }): string {
  if (before.text !== undefined && after.text !== undefined) {
    const { added, removed } = lineChanges(before.text, after.text);
    return added === 0 && removed === 0 ? 'no line changes' : `+${added} -${removed} lines`;
  }
  // Text after binary content, or after a text history that cannot be read (a version recorded as lost): no chunks to count.
  if (after.text !== undefined) return `${countLines(after.text)} lines, not compared with the version before`;
  const old = new Set(before.chunks);
  const changed = after.chunks.filter((id) => !old.has(id)).length;
  if (IMAGE.test(path) && changed === after.chunks.length) return 'image replaced';
  return `${changed} of ${after.chunks.length} chunks changed`;
}
