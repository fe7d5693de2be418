// Benchmark results: their shape (also the schema of bench/.work/results.json), the
// comparison table, repository sizes, the Strata-vs-restic targets and PASS/MISS.
import type { ToolName } from './args';
import type { Measurement } from './measure';
import type { DiskUsage, TreeDiff } from './tree';

export type StepName = 'init' | 'backup1' | 'backup2' | 'restore' | 'check';

export const STEPS: readonly { name: StepName; title: string; target: boolean }[] = [
  { name: 'init', title: 'init (not a target)', target: false },
  { name: 'backup1', title: 'backup 1 (full)', target: true },
  { name: 'backup2', title: 'backup 2 (after edits)', target: true },
  { name: 'restore', title: 'restore latest', target: true },
  { name: 'check', title: 'check --read-data', target: true },
];

export interface StepResult extends Measurement {
  /** Corpus logical bytes the step is about (null for init). */
  logicalBytes: number | null;
  mibPerS: number | null;
  cacheDropped: boolean;
}

export interface ToolResult {
  name: ToolName;
  ran: boolean;
  skippedReason: string | null;
  version: string | null;
  repo: string;
  steps: Partial<Record<StepName, StepResult>>;
  repoSize: { afterBackup1?: DiskUsage; afterBackup2?: DiskUsage };
  backupSummary: { backup1?: unknown; backup2?: unknown };
  restoredRoot: string | null;
  verify: TreeDiff | null;
  repoInfo: Record<string, unknown>;
  failures: string[];
}

export type Status = 'PASS' | 'MISS' | 'n/a';

export interface TargetResult {
  name: string;
  limit: string;
  strata: number | null;
  restic: number | null;
  ratio: number | null;
  status: Status;
}

export const WALL_RATIO_MAX = 0.5;
export const REPO_RATIO_MAX = 0.9;
export const RSS_RATIO_MAX = 1.0;

const MiB = 1024 * 1024;

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}

function okStep(t: ToolResult | undefined, s: StepName): StepResult | undefined {
  const r = t?.steps[s];
  return r?.ok ? r : undefined;
}

export function computeTargets(strata: ToolResult | undefined, restic: ToolResult | undefined): TargetResult[] {
  const out: TargetResult[] = [];
  const judge = (name: string, limit: string, max: number, a: number | null, b: number | null): void => {
    const r = ratio(a, b);
    out.push({ name, limit, strata: a, restic: b, ratio: r, status: r === null ? 'n/a' : r <= max ? 'PASS' : 'MISS' });
  };
  for (const s of STEPS.filter((x) => x.target)) {
    judge(`wall ${s.title}`, `<= ${WALL_RATIO_MAX}x restic`, WALL_RATIO_MAX, okStep(strata, s.name)?.wallS ?? null, okStep(restic, s.name)?.wallS ?? null);
  }
  judge('repo size after backup 1', `<= ${REPO_RATIO_MAX}x restic`, REPO_RATIO_MAX, strata?.repoSize.afterBackup1?.apparentBytes ?? null, restic?.repoSize.afterBackup1?.apparentBytes ?? null);
  judge('repo size after backup 2', `<= ${REPO_RATIO_MAX}x restic`, REPO_RATIO_MAX, strata?.repoSize.afterBackup2?.apparentBytes ?? null, restic?.repoSize.afterBackup2?.apparentBytes ?? null);
  for (const s of STEPS.filter((x) => x.target)) {
    judge(`peak RSS ${s.title}`, '<= restic', RSS_RATIO_MAX, okStep(strata, s.name)?.peakRssMiB ?? null, okStep(restic, s.name)?.peakRssMiB ?? null);
  }
  return out;
}

// ---------------------------------------------------------------- formatting

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], leftCols = 1): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ');
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(headers), sep, ...rows.map(line)].join('\n');
}

const DASH = '-';
const f = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? DASH : v.toFixed(digits));
const fx = (v: number | null | undefined): string => (v === null || v === undefined ? DASH : `${v.toFixed(2)}x`);

export function stepTable(strata: ToolResult | undefined, restic: ToolResult | undefined): string {
  const headers = [
    'step',
    'strata wall s',
    'restic wall s',
    'ratio',
    'strata CPU s',
    'restic CPU s',
    'strata MiB/s',
    'restic MiB/s',
    'strata peak RSS MiB',
    'restic peak RSS MiB',
    'ratio',
  ];
  const rows = STEPS.map((s) => {
    const a = strata?.steps[s.name];
    const b = restic?.steps[s.name];
    const wall = (r: StepResult | undefined): string => (r === undefined ? DASH : r.ok ? f(r.wallS, 2) : 'FAILED');
    const ga = a?.ok ? a : undefined;
    const gb = b?.ok ? b : undefined;
    return [
      s.title,
      wall(a),
      wall(b),
      fx(ratio(ga?.wallS, gb?.wallS)),
      f(ga?.cpuS, 2),
      f(gb?.cpuS, 2),
      f(ga?.mibPerS, 1),
      f(gb?.mibPerS, 1),
      f(ga?.peakRssMiB, 1),
      f(gb?.peakRssMiB, 1),
      fx(ratio(ga?.peakRssMiB, gb?.peakRssMiB)),
    ];
  });
  return formatTable(headers, rows);
}

export function repoTable(strata: ToolResult | undefined, restic: ToolResult | undefined, corpusBytes: { backup1: number; backup2: number }): string {
  const headers = ['repository size (apparent)', 'strata bytes', 'restic bytes', 'ratio', 'strata MiB', 'restic MiB', 'strata/corpus', 'restic/corpus'];
  const row = (title: string, a: DiskUsage | undefined, b: DiskUsage | undefined, corpus: number): string[] => [
    title,
    a ? String(a.apparentBytes) : DASH,
    b ? String(b.apparentBytes) : DASH,
    fx(ratio(a?.apparentBytes, b?.apparentBytes)),
    f(a ? a.apparentBytes / MiB : null, 1),
    f(b ? b.apparentBytes / MiB : null, 1),
    fx(ratio(a?.apparentBytes, corpus)),
    fx(ratio(b?.apparentBytes, corpus)),
  ];
  const growth = (u: ToolResult | undefined): DiskUsage | undefined => {
    const x = u?.repoSize.afterBackup1;
    const y = u?.repoSize.afterBackup2;
    return x && y ? { apparentBytes: y.apparentBytes - x.apparentBytes, blockBytes: y.blockBytes - x.blockBytes, files: y.files - x.files } : undefined;
  };
  return formatTable(headers, [
    row('after backup 1', strata?.repoSize.afterBackup1, restic?.repoSize.afterBackup1, corpusBytes.backup1),
    row('after backup 2', strata?.repoSize.afterBackup2, restic?.repoSize.afterBackup2, corpusBytes.backup2),
    row('growth by backup 2', growth(strata), growth(restic), corpusBytes.backup2),
  ]);
}

export function targetLines(targets: readonly TargetResult[]): string {
  const headers = ['target (strata vs restic)', 'limit', 'strata', 'restic', 'ratio', 'result'];
  const num = (t: TargetResult, v: number | null): string =>
    v === null ? DASH : t.name.startsWith('repo') ? `${(v / MiB).toFixed(1)} MiB` : t.name.startsWith('peak') ? `${v.toFixed(1)} MiB` : `${v.toFixed(2)} s`;
  return formatTable(
    headers,
    targets.map((t) => [t.name, t.limit, num(t, t.strata), num(t, t.restic), fx(t.ratio), t.status]),
    2,
  );
}

export function verifyLine(t: ToolResult): string {
  const v = t.verify;
  if (v === null) return `${t.name}: restore not verified`;
  const warn = [
    v.missingDirs ? `${v.missingDirs} dirs missing` : '',
    v.extraDirs ? `${v.extraDirs} extra dirs` : '',
    v.mtimeMismatches ? `${v.mtimeMismatches} mtimes differ` : '',
  ].filter(Boolean);
  const head =
    v.mismatches === 0
      ? `${t.name}: restore OK - ${v.actualFiles}/${v.expectedFiles} files, ${(v.bytesCompared / MiB).toFixed(1)} MiB identical (SHA-256)`
      : `${t.name}: RESTORE MISMATCH - ${v.mismatches} mismatches: ${v.missingFiles} missing, ${v.extraFiles} extra, ` +
        `${v.typeMismatches} wrong type, ${v.sizeMismatches} wrong size, ${v.contentMismatches} wrong content`;
  return warn.length ? `${head}; warnings: ${warn.join(', ')}` : head;
}
