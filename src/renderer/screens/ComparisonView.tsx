// One comparison of two versions of a file: text side by side (line numbers,
// word-level marks, who wrote each added line), images side by side, other
// binaries as metadata.

import { Fragment, useMemo, useState, type ReactNode } from 'react';
import type { CompareSide, Comparison, DiffLine } from '../../shared/api';
import { formatBytes } from '../format';

type TextComparison = Extract<Comparison, { kind: 'text' }>;

/** One row of the side-by-side table: a line on either side, or both. */
interface Row {
  left?: DiffLine;
  right?: DiffLine;
}

type Block = { kind: 'rows'; rows: Row[] } | { kind: 'hidden'; rows: Row[]; id: number };

/** Unchanged lines kept around a change; longer unchanged runs fold. */
const CONTEXT = 3;

/** Pairs each run of removed lines with the added lines that follow it. */
export function pairLines(lines: DiffLine[]): Row[] {
  const rows: Row[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] as DiffLine;
    if (line.kind === 'same') {
      rows.push({ left: line, right: line });
      index += 1;
      continue;
    }
    const removed: DiffLine[] = [];
    const added: DiffLine[] = [];
    while (index < lines.length && lines[index]?.kind === 'removed') removed.push(lines[index++] as DiffLine);
    while (index < lines.length && lines[index]?.kind === 'added') added.push(lines[index++] as DiffLine);
    for (let k = 0; k < Math.max(removed.length, added.length); k += 1) {
      const row: Row = {};
      if (removed[k]) row.left = removed[k];
      if (added[k]) row.right = added[k];
      rows.push(row);
    }
  }
  return rows;
}

function isSame(row: Row): boolean {
  return row.left !== undefined && row.left === row.right;
}

/** Folds long runs of unchanged rows, keeping CONTEXT rows next to each change. */
function fold(rows: Row[]): Block[] {
  const blocks: Block[] = [];
  let current: Row[] = [];
  let index = 0;
  let id = 0;
  while (index < rows.length) {
    if (!isSame(rows[index] as Row)) {
      current.push(rows[index++] as Row);
      continue;
    }
    let end = index;
    while (end < rows.length && isSame(rows[end] as Row)) end += 1;
    const before = index === 0 ? 0 : CONTEXT;
    const after = end === rows.length ? 0 : CONTEXT;
    if (end - index > before + after + 2) {
      current.push(...rows.slice(index, index + before));
      blocks.push({ kind: 'rows', rows: current });
      blocks.push({ kind: 'hidden', rows: rows.slice(index + before, end - after), id: id++ });
      current = rows.slice(end - after, end);
    } else {
      current.push(...rows.slice(index, end));
    }
    index = end;
  }
  if (current.length > 0) blocks.push({ kind: 'rows', rows: current });
  return blocks;
}

/** The line's text with its changed ranges wrapped in <mark>. */
export function MarkedText({ text, marks }: { text: string; marks?: Array<[number, number]> | undefined }) {
  if (!marks || marks.length === 0) return <>{text}</>;
  const parts: ReactNode[] = [];
  let at = 0;
  const sorted = [...marks].sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    const from = Math.max(at, Math.min(start, text.length));
    const to = Math.max(from, Math.min(end, text.length));
    if (from > at) parts.push(text.slice(at, from));
    if (to > from) parts.push(<mark key={`${from}-${to}`}>{text.slice(from, to)}</mark>);
    at = to;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}

function Cell({ line, side }: { line: DiffLine | undefined; side: 'left' | 'right' }) {
  if (!line) {
    return (
      <>
        <td className="diff-number" />
        <td className="diff-text diff-empty" />
      </>
    );
  }
  const number = side === 'left' ? line.left : line.right;
  const kind = line.kind;
  return (
    <>
      <td className="diff-number">{number}</td>
      <td className={`diff-text diff-${kind}`}>
        {kind !== 'same' && <span className="visually-hidden">{kind === 'added' ? 'Added: ' : 'Removed: '}</span>}
        <span className="diff-sign" aria-hidden="true">
          {kind === 'added' ? '+' : kind === 'removed' ? '−' : ' '}
        </span>
        <span className="diff-content">
          <MarkedText text={line.text} marks={line.marks} />
        </span>
        {kind === 'added' && line.by && (
          <span className="diff-by">
            by {line.by.author} @{line.by.n}
          </span>
        )}
      </td>
    </>
  );
}

function TextDiff({ comparison }: { comparison: TextComparison }) {
  const blocks = useMemo(() => fold(pairLines(comparison.lines)), [comparison.lines]);
  const [shown, setShown] = useState<ReadonlySet<number>>(new Set());

  if (comparison.lines.every((line) => line.kind === 'same')) {
    return <p className="empty">No differences: the two versions have the same text.</p>;
  }

  return (
    <div className="diff-scroll">
      <table className="diff-table">
        <caption className="visually-hidden">
          {comparison.from.label} compared with {comparison.to.label}
        </caption>
        <colgroup>
          <col className="diff-number-col" />
          <col />
          <col className="diff-number-col" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" colSpan={2}>
              {comparison.from.label}
            </th>
            <th scope="col" colSpan={2}>
              {comparison.to.label}
            </th>
          </tr>
        </thead>
        <tbody>
          {blocks.map((block, b) => {
            if (block.kind === 'hidden' && !shown.has(block.id)) {
              return (
                <tr key={`h${block.id}`} className="diff-fold">
                  <td colSpan={4}>
                    <button
                      type="button"
                      className="link small"
                      onClick={() => setShown((previous) => new Set(previous).add(block.id))}
                    >
                      Show {block.rows.length.toLocaleString()} unchanged lines
                    </button>
                  </td>
                </tr>
              );
            }
            return (
              <Fragment key={b}>
                {block.rows.map((row, r) => (
                  <tr key={r} className={row.left === row.right ? 'diff-row-same' : 'diff-row-changed'}>
                    <Cell line={row.left} side="left" />
                    <Cell line={row.right} side="right" />
                  </tr>
                ))}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function SideFacts({ side }: { side: CompareSide }) {
  return (
    <dl className="facts">
      {side.type && (
        <>
          <dt>Type</dt>
          <dd>{side.type}</dd>
        </>
      )}
      {side.dimensions && (
        <>
          <dt>Dimensions</dt>
          <dd>
            {side.dimensions.width} × {side.dimensions.height}
          </dd>
        </>
      )}
      <dt>Size</dt>
      <dd>{formatBytes(side.size)}</dd>
      <dt>Checksum</dt>
      <dd>
        <code title={side.sha256}>{side.sha256 ? side.sha256.slice(0, 16) : '—'}</code>
      </dd>
    </dl>
  );
}

export function ComparisonView({ comparison }: { comparison: Comparison }) {
  let body;
  if (comparison.kind === 'text') {
    body = <TextDiff comparison={comparison} />;
  } else if (comparison.kind === 'image') {
    body = (
      <div className="side-by-side">
        {[comparison.from, comparison.to].map((side, index) => (
          <figure key={index} className="compare-image">
            {side.image ? (
              <img src={side.image} alt={`Image at ${side.label}`} />
            ) : (
              <p className="empty">Too large to preview.</p>
            )}
            <figcaption>
              <strong>{side.label}</strong>
              <SideFacts side={side} />
            </figcaption>
          </figure>
        ))}
      </div>
    );
  } else {
    body = (
      <>
        <div className="side-by-side">
          {[comparison.from, comparison.to].map((side, index) => (
            <div key={index} className="compare-binary">
              <strong>{side.label}</strong>
              <SideFacts side={side} />
            </div>
          ))}
        </div>
        <p className="compare-summary">
          {comparison.chunksChanged !== undefined && (
            <>
              Chunks changed: {comparison.chunksChanged.toLocaleString()}
              {comparison.chunks !== undefined && ` of ${comparison.chunks.toLocaleString()}`}.{' '}
            </>
          )}
          {comparison.summary}
        </p>
      </>
    );
  }

  return (
    <section className="comparison" aria-label={`Comparison of ${comparison.from.label} and ${comparison.to.label}`}>
      <h3>
        {comparison.from.label} → {comparison.to.label}
        {comparison.kind === 'text' && (
          <span className="diff-stats">
            <span className="diff-stat-added">+{comparison.added}</span>{' '}
            <span className="diff-stat-removed">−{comparison.removed}</span>
          </span>
        )}
      </h3>
      {body}
    </section>
  );
}
