// A quick walk that only counts files and bytes, run beside a backup so the
// progress display can show a total and an ETA.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScanTotals {
  files: number;
  bytes: number;
}

export async function scanTotals(paths: string[], onUpdate?: (totals: ScanTotals) => void): Promise<ScanTotals> {
  const totals: ScanTotals = { files: 0, bytes: 0 };
  const visit = async (path: string): Promise<void> => {
    let st;
    try {
      st = await lstat(path);
    } catch {
      return;
    }
    if (st.isFile()) {
      totals.files++;
      totals.bytes += st.size;
    } else if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(path);
      } catch {
        return;
      }
      for (const name of names) await visit(join(path, name));
      onUpdate?.(totals);
    }
  };
  for (const path of paths) await visit(path);
  return totals;
}
