// A course's files as a tree (folders fold) with a search box; deleted files
// are listed too, marked. Virtualised: a course may hold thousands of files.

import { useId, useMemo, useState } from 'react';
import type { FileEntry } from '../../shared/api';
import { VirtualList } from '../components/VirtualList';

type TreeRow =
  | { kind: 'folder'; key: string; path: string; name: string; depth: number; open: boolean }
  | { kind: 'file'; key: string; entry: FileEntry; name: string; depth: number };

const fileKey = (entry: FileEntry) => `f:${entry.file}`;

/** Folders first, then files, each by name; folded folders hide what they hold. */
function buildRows(files: FileEntry[], closed: ReadonlySet<string>): TreeRow[] {
  interface Folder {
    folders: Map<string, Folder>;
    files: FileEntry[];
  }
  const root: Folder = { folders: new Map(), files: [] };
  for (const entry of files) {
    const parts = entry.path.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) {
        next = { folders: new Map(), files: [] };
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.files.push(entry);
  }
  const rows: TreeRow[] = [];
  const walk = (folder: Folder, prefix: string, depth: number) => {
    for (const name of [...folder.folders.keys()].sort((a, b) => a.localeCompare(b))) {
      const path = prefix + name;
      const open = !closed.has(path);
      rows.push({ kind: 'folder', key: `d:${path}`, path, name, depth, open });
      if (open) walk(folder.folders.get(name) as Folder, `${path}/`, depth + 1);
    }
    const sorted = [...folder.files].sort((a, b) => a.path.localeCompare(b.path) || Number(a.deleted) - Number(b.deleted));
    for (const entry of sorted) {
      rows.push({ kind: 'file', key: fileKey(entry), entry, name: entry.path.slice(prefix.length), depth });
    }
  };
  walk(root, '', 0);
  return rows;
}

export function FileTree({
  files,
  selected,
  onSelect,
}: {
  files: FileEntry[];
  selected: string | undefined;
  onSelect(path: string): void;
}) {
  const searchId = useId();
  const [query, setQuery] = useState('');
  const [closed, setClosed] = useState<ReadonlySet<string>>(new Set());

  const rows = useMemo<TreeRow[]>(() => {
    const needle = query.trim().toLowerCase();
    if (!needle) return buildRows(files, closed);
    // Searching: the matching files by full path, flat.
    return files
      .filter((entry) => entry.path.toLowerCase().includes(needle))
      .map((entry) => ({ kind: 'file', key: fileKey(entry), entry, name: entry.path, depth: 0 }) as const);
  }, [files, closed, query]);

  function toggle(path: string) {
    setClosed((previous) => {
      const next = new Set(previous);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  }

  // Selected by path; a live file wins over a deleted one that had the same path.
  let selectedKey: string | undefined;
  for (const row of rows) {
    if (row.kind !== 'file' || row.entry.path !== selected) continue;
    selectedKey = row.key;
    if (!row.entry.deleted) break;
  }

  const deleted = files.filter((entry) => entry.deleted).length;

  return (
    <div className="file-tree">
      <div className="field">
        <label htmlFor={searchId}>Search files</label>
        <input
          id={searchId}
          type="search"
          value={query}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setQuery(event.target.value)}
        />
      </div>
      <p className="hint" aria-live="polite">
        {query.trim()
          ? `${rows.length.toLocaleString()} of ${files.length.toLocaleString()} files match`
          : `${files.length.toLocaleString()} files${deleted ? `, ${deleted.toLocaleString()} deleted` : ''}`}
      </p>
      {rows.length === 0 ? (
        <p className="empty">{query.trim() ? 'No file matches the search.' : 'This course has no files yet.'}</p>
      ) : (
        <VirtualList
          items={rows}
          getKey={(row) => row.key}
          rowHeight={30}
          height={400}
          label="Files"
          className="list tree-list"
          {...(selectedKey === undefined ? {} : { selectedKey })}
          onSelect={(row) => (row.kind === 'folder' ? toggle(row.path) : onSelect(row.entry.path))}
          renderRow={(row) => (
            <div className="tree-row" style={{ paddingLeft: 8 + Math.min(row.depth, 12) * 14 }}>
              {row.kind === 'folder' ? (
                <>
                  <span className="tree-twisty" aria-hidden="true">
                    {row.open ? '▾' : '▸'}
                  </span>
                  <span className="tree-folder">{row.name}/</span>
                  <span className="visually-hidden">{row.open ? ' folder, open' : ' folder, folded'}</span>
                </>
              ) : (
                <>
                  <span className={row.entry.deleted ? 'tree-file deleted' : 'tree-file'}>{row.name}</span>
                  {row.entry.deleted && <span className="badge badge-muted">deleted</span>}
                </>
              )}
            </div>
          )}
        />
      )}
    </div>
  );
}
