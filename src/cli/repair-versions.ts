// `strata repair versions`: lists the version batches the history lacks
// (damaged or missing) and, once confirmed, records them as lost for good
// (engine/ops/losses.ts), the documented way past a loss no remote can
// heal. Also how `log` names losses recorded before. Thin: printing here.

import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { acceptedLosses, lostBatches, recordLostBatches, type AcceptedLoss, type LostBatch } from '../engine/ops/losses';
import { shown } from './display';
import { ExitCode, noteExitCode } from './exit-codes';
import { UsageError } from './usage-error';
import type { CliContext } from './version-commands';

/** One line per loss recorded before (`log`, `repair versions`): accepted, still named. With --json, one JSON line. */
export function reportAcceptedLosses(ctx: CliContext, losses: AcceptedLoss[]): void {
  if (losses.length === 0) return;
  if (ctx.globals().json) {
    ctx.warn(JSON.stringify({ event: 'history-losses', losses }));
    return;
  }
  for (const l of losses) ctx.warn(`note: ${l.batch} is lost (${l.reason}), accepted as lost by ${l.recordedIn} (strata repair versions): the versions it held are not shown`);
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Asks on the terminal; only an explicit yes records. */
async function confirmed(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await prompt.question(question));
  } finally {
    prompt.close();
  }
}

export function registerRepairVersions(repair: Command, ctx: CliContext): void {
  repair
    .command('versions')
    .description('record version batches that are damaged or missing, and that no remote has any more, as lost for good')
    .option('--dry-run', 'only list them; record nothing')
    .option('-y, --yes', 'record without asking (needed off a terminal)')
    .option('--move-aside <dir>', 'also move damaged batches recorded as lost out of the repository into DIR (bytes kept)')
    .action(async (opts: { dryRun?: boolean; yes?: boolean; moveAside?: string }) => {
      const json = ctx.globals().json === true;
      const s = await ctx.openSession();
      const lost = await lostBatches(s);
      const accepted = await acceptedLosses(s);
      const document = (recorded: string | null, movedAside: Array<{ batch: string; to: string }>, dryRun: boolean): object => ({ dryRun, lost, recorded, movedAside, accepted });

      if (lost.length === 0 && (opts.moveAside === undefined || opts.dryRun)) {
        if (json) ctx.printJson(document(null, [], opts.dryRun === true));
        else {
          reportAcceptedLosses(ctx, accepted);
          ctx.out(`nothing to record: the version history lacks no batch${accepted.length > 0 ? ` that is not recorded as lost already (${plural(accepted.length, 'batch', 'batches')})` : ''}`);
        }
        return;
      }
      if (lost.length > 0 && !json) listLost(ctx, lost);
      if (lost.length > 0 && opts.dryRun) {
        if (json) ctx.printJson(document(null, [], true));
        else ctx.out('dry run: nothing was recorded');
        noteExitCode(ExitCode.damaged);
        return;
      }
      if (lost.length > 0 && !opts.yes) {
        if (!process.stdin.isTTY) throw new UsageError('recording batches as lost needs confirmation: run it on a terminal, or add --yes (--dry-run only lists them)');
        if (!(await confirmed(`Record ${plural(lost.length, 'batch', 'batches')} as lost for good? [y/N] `))) {
          ctx.out('not confirmed: nothing was recorded');
          noteExitCode(ExitCode.damaged);
          return;
        }
      }
      const result = await recordLostBatches(s, opts.moveAside !== undefined ? { moveAsideTo: opts.moveAside } : {});
      if (json) {
        ctx.printJson(document(result.batch ?? null, result.movedAside, false));
        return;
      }
      if (result.batch) {
        ctx.out(`recorded as lost in ${result.batch}: ${result.lost.map((l) => `${l.batch} (${l.reason})`).join(', ')}`);
        ctx.out('every device that syncs this accepts the loss: history is recorded again; the versions those batches held stay lost (`strata check` and `strata log` name them)');
      }
      for (const m of result.movedAside) ctx.out(shown(`moved aside: ${m.batch} -> ${m.to}`));
      const inPlace = result.lost.filter((l) => l.reason === 'damaged' && !result.movedAside.some((m) => m.batch === l.batch));
      for (const l of inPlace) ctx.out(`the damaged batch ${l.batch} is left in place, as evidence (nothing is deleted); \`strata repair versions --move-aside DIR\` moves it out of the repository`);
      if (!result.batch && result.movedAside.length === 0) ctx.out('nothing to move aside: no damaged batch recorded as lost is stored');
    });
}

/** The batches the history lacks, and what to try before recording them as lost. */
function listLost(ctx: CliContext, lost: LostBatch[]): void {
  // The detail without what the line already says ("damaged object NAME: ...", "missing (...)").
  const why = (l: LostBatch): string => (l.detail ?? '').replace(`damaged object ${l.batch}: `, '').replace(/^missing \((.*)\)$/s, '$1');
  for (const l of lost) ctx.out(shown(`${l.reason.padEnd(8)} ${l.batch}  (${why(l)})`));
  ctx.out(`${plural(lost.length, 'version batch is', 'version batches are')} damaged or missing: nothing new is recorded in the history until they are back or recorded as lost.`);
  ctx.out('First try to bring them back: `strata sync` with a remote that still holds them.');
  ctx.out('If no remote has them any more, recording them as lost lets history be recorded again on every device; the versions they held stay lost.');
}
