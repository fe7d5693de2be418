// Command-line options of the benchmark (bench/run.ts): parsing, defaults, usage text.
// Owns nothing else; sizes use the same binary K/M/G/T suffixes as make-corpus.

export type ToolName = 'strata' | 'restic';

export interface BenchOptions {
  /** Size as the user wrote it (for display), e.g. "1G". */
  sizeLabel: string;
  /** Size in bytes, passed to make-corpus as a plain number. */
  sizeBytes: number;
  seed: number;
  /** Seed of the single edit round applied between the two backups. */
  mutateSeed: number;
  only: ToolName | null;
  keep: boolean;
  cold: boolean;
  /** Reuse / store the pristine corpus in bench/.work/cache. */
  useCache: boolean;
  /** The version-history benchmark (bench/versions.ts): after the comparison, instead of it, or not at all. */
  versions: 'also' | 'only' | 'skip';
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]
       node --import tsx bench/run.ts [options]

Compares Strata's CLI (node bin/strata.js) with restic on the same corpus:
init, backup 1, one edit round, backup 2, restore latest, check --read-data.

Options:
  --size SIZE        corpus size, K/M/G suffixes (binary); default 1G or $BENCH_SIZE
  --seed N           corpus seed (default 1)
  --only TOOL        run only "strata" or "restic"
  --keep             keep corpus, repositories and restores in bench/.work
  --cold             drop the page cache (sync; echo 3 > /proc/sys/vm/drop_caches)
                     before every timed step; default is warm caches for both tools
  --no-cache         regenerate the corpus instead of reusing bench/.work/cache
  --versions-only    run only the version-history and sync benchmarks (bench/versions.ts, bench/sync.ts)
  --no-versions      skip them
  -h, --help         this text

Environment: BENCH_SIZE (default size), BENCH_STRATA_BIN (CLI script instead of
bin/strata.js), BENCH_RESTIC (restic binary instead of restic from PATH),
BENCH_MAKE_CORPUS (generator instead of /work/shared/bench/make-corpus).

Results: printed table and bench/.work/results.json.`;

export class UsageError extends Error {}

/** Parses "1G", "256M", "512MiB", "1.5G", "1073741824" exactly like make-corpus does. */
export function parseSize(text: string): number {
  const s = text.trim().toUpperCase().replace(/B$/, '').replace(/I$/, '');
  const mult: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
  const last = s.slice(-1);
  const factor = mult[last];
  const num = Number(factor === undefined ? s : s.slice(0, -1));
  if (s === '' || !Number.isFinite(num) || num <= 0) throw new UsageError(`bad size: ${text}`);
  return Math.floor(num * (factor ?? 1));
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const opts: BenchOptions = {
    sizeLabel: env.BENCH_SIZE?.trim() || '1G',
    sizeBytes: 0,
    seed: 1,
    mutateSeed: 2,
    only: null,
    keep: false,
    cold: false,
    useCache: true,
    versions: 'also',
    help: false,
  };
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const v = args.shift();
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  while (args.length > 0) {
    const raw = args.shift() ?? '';
    if (raw === '--') continue; // npm run bench -- --size 256M
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    switch (flag) {
      case '--size':
        opts.sizeLabel = value(flag, inline);
        break;
      case '--seed': {
        const v = value(flag, inline);
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`bad seed: ${v}`);
        opts.seed = n;
        break;
      }
      case '--only': {
        const v = value(flag, inline);
        if (v !== 'strata' && v !== 'restic') throw new UsageError(`--only takes strata or restic, not ${v}`);
        opts.only = v;
        break;
      }
      case '--keep':
        opts.keep = true;
        break;
      case '--cold':
        opts.cold = true;
        break;
      case '--no-cache':
        opts.useCache = false;
        break;
      case '--versions-only':
        opts.versions = 'only';
        break;
      case '--no-versions':
        opts.versions = 'skip';
        break;
      case '-h':
      case '--help':
        opts.help = true;
        break;
      default:
        throw new UsageError(`unknown option: ${raw}`);
    }
  }
  opts.sizeBytes = parseSize(opts.sizeLabel);
  return opts;
}
