// The tier and cost commands of the CLI: tiers (report, --apply to migrate,
// --policy), archive / activate (course states in the policy file), evict,
// prefetch and cost. Thin: parsing and printing here, the work in
// engine/ops/tiers.ts.

import type { Command } from 'commander';
import { EngineError } from '../engine/errors';
import {
  evictPacks,
  initPolicy,
  migrateTiers,
  policyOf,
  prefetchCourse,
  setCourseState,
  tierCost,
  tierReport,
  type CostReport,
  type TierReport,
} from '../engine/ops/tiers';
import { formatBytes, progressBar } from './progress';
import type { CliContext } from './version-commands';

function bytes(b: { objects: number; bytes: number }): string {
  return `${formatBytes(b.bytes)} in ${b.objects} object${b.objects === 1 ? '' : 's'}`;
}

function reportJson(report: TierReport): object {
  return {
    local: report.local,
    ...(report.remote ? { remote: report.remote } : {}),
    courses: report.courses,
    moves: report.moves,
    plan: { toCold: report.moves.filter((m) => m.to === 'cold').length, toHot: report.moves.filter((m) => m.to === 'hot').length, bytes: report.moves.reduce((n, m) => n + m.bytes, 0) },
  };
}

function printReport(ctx: CliContext, report: TierReport): void {
  ctx.out(`this machine: ${bytes(report.local.kept)} of packs kept${report.local.evicted.objects > 0 ? `, ${bytes(report.local.evicted)} evicted (on the remote; fetched when read)` : ''}`);
  const r = report.remote;
  if (r) {
    ctx.out(`remote "${r.name}": hot ${bytes(r.hot)} (metadata ${formatBytes(r.metadata.bytes)}), cold ${bytes(r.cold)}${r.tiered ? '' : ' — this remote has one tier'}`);
    if (r.notUploaded.objects > 0) ctx.out(`  not uploaded yet: ${bytes(r.notUploaded)} (run \`strata sync\`)`);
  } else {
    ctx.out('no remote: placement below is what the policy would do (`strata remote add`)');
  }
  if (report.courses.length > 0) {
    ctx.out('');
    ctx.out(`${'course'.padEnd(24)} ${'state'.padEnd(9)} ${'data'.padStart(10)} ${'remote hot'.padStart(11)} ${'remote cold'.padStart(11)} ${'policy cold'.padStart(11)}`);
    for (const c of report.courses) {
      ctx.out(`${c.course.slice(0, 24).padEnd(24)} ${c.state.padEnd(9)} ${formatBytes(c.bytes).padStart(10)} ${formatBytes(c.remoteHot).padStart(11)} ${formatBytes(c.remoteCold).padStart(11)} ${formatBytes(c.wantCold).padStart(11)}`);
    }
  }
  ctx.out('');
  if (report.moves.length === 0) ctx.out(r ? 'nothing to move: the remote matches the policy' : '');
  else {
    const cold = report.moves.filter((m) => m.to === 'cold');
    const hot = report.moves.filter((m) => m.to === 'hot');
    const sum = (ms: typeof cold): string => formatBytes(ms.reduce((n, m) => n + m.bytes, 0));
    ctx.out(`the policy would move ${cold.length} packs (${sum(cold)}) to cold and ${hot.length} (${sum(hot)}) to hot; run \`strata tiers --apply\``);
    const reasons = new Map<string, number>();
    for (const m of report.moves) reasons.set(`${m.to}: ${m.reason}`, (reasons.get(`${m.to}: ${m.reason}`) ?? 0) + 1);
    for (const [reason, n] of reasons) ctx.out(`  ${n} × ${reason}`);
  }
}

function money(x: number): string {
  return `$${x.toFixed(2)}`;
}

function printCost(ctx: CliContext, cost: CostReport): void {
  const { hot, cold } = cost.perMonth;
  ctx.out(`monthly cost (${cost.basis === 'remote' ? 'as the remote holds it' : 'as the policy would place it'}, ${cost.currency}):`);
  ctx.out(`  hot  ${hot.storageClass.padEnd(13)} ${formatBytes(hot.bytes).padStart(10)}  ${money(hot.storage)} storage + ${money(hot.reads)} reads`);
  ctx.out(`  cold ${cold.storageClass.padEnd(13)} ${formatBytes(cold.bytes).padStart(10)}  ${money(cold.storage)} storage + ${money(cold.reads)} reads`);
  ctx.out(`  total ${money(cost.perMonth.total)} a month; all hot would be ${money(cost.allHot)}: saving ${cost.savingsPercent}%`);
  if (cost.basis === 'remote' && cost.withPolicy < cost.perMonth.total) ctx.out(`  with the policy applied: ${money(cost.withPolicy)} (saving ${cost.policySavingsPercent}%)`);
  if (cost.recommendations.length > 0) {
    ctx.out('recommendations:');
    for (const r of cost.recommendations) ctx.out(`  - ${r.message}`);
  }
}

export function registerTierCommands(program: Command, ctx: CliContext): void {
  program
    .command('tiers')
    .description('where the bytes are (this machine, the remote\'s hot and cold tiers) and what the placement policy would move')
    .argument('[remote]', 'the remote (default: the only one)')
    .option('--apply', 'move packs between the remote\'s tiers as the policy says (resumable)')
    .option('--policy', 'print the placement policy in effect and the file that sets it')
    .option('--init-policy', 'write the default policy to the policy file, to edit')
    .action(async (name: string | undefined, opts: { apply?: boolean; policy?: boolean; initPolicy?: boolean }) => {
      if (opts.initPolicy) {
        const file = await initPolicy(ctx.repoLocation());
        ctx.out(`wrote ${file} (the defaults; docs/tiers.md explains each setting)`);
        return;
      }
      if (opts.policy) {
        const { file, exists, policy } = await policyOf(ctx.repoLocation());
        if (ctx.globals().json) ctx.printJson({ file, exists, policy });
        else ctx.out(`${exists ? file : `(no ${file}: the defaults)`}\n${JSON.stringify(policy, null, 2)}`);
        return;
      }
      const s = await ctx.openSession();
      if (!opts.apply) {
        const report = await tierReport(s, name);
        if (ctx.globals().json) ctx.printJson(reportJson(report));
        else printReport(ctx, report);
        return;
      }
      const bar = progressBar('moving', !ctx.globals().json && !ctx.globals().quiet);
      let moved;
      try {
        moved = await migrateTiers(s, name, { onProgress: (p) => bar.update(p.bytes, p.totalBytes, { what: `${p.done}/${p.total}` }) });
      } finally {
        bar.stop();
      }
      const { report, migration: result } = moved;
      if (ctx.globals().json) ctx.printJson({ ...reportJson(report), migration: result });
      else {
        ctx.out(`moved ${result.moved.objects} packs (${formatBytes(result.moved.bytes)})${result.waiting.length > 0 ? `; ${result.waiting.length} are thawing and move on a later run` : ''}`);
        for (const f of result.failed) ctx.warn(`could not move ${f.name}: ${f.message}`);
      }
      if (result.failed.length > 0) throw new EngineError('UNAVAILABLE', `${result.failed.length} packs could not be moved; run \`strata tiers --apply\` again to continue`);
    });

  for (const [command, state, what] of [['archive', 'archived', 'mark a course archived: its data goes cold on the remote and can be evicted here'], ['activate', 'active', 'mark a course active again, and fetch back its current data if it was evicted']] as const) {
    program
      .command(command)
      .description(what)
      .argument('<course>', 'the course (tracked folder) name')
      .action(async (course: string) => {
        const { fetched } = await setCourseState(await ctx.openSession(), course, state);
        if (ctx.globals().json) ctx.printJson({ course, state, fetched });
        else ctx.out(`"${course}" is ${state}${fetched.objects > 0 ? `; fetched back ${formatBytes(fetched.bytes)}` : ''}${state === 'archived' ? ' (`strata tiers --apply` moves its data cold; `strata evict` frees space here)' : ''}`);
      });
  }

  program
    .command('evict')
    .description('free space here: delete packs the policy places cold once the remote holds them (they are fetched back when read)')
    .argument('[remote]', 'the remote that holds them (default: the only one)')
    .option('--dry-run', 'only say what would be freed')
    .action(async (name: string | undefined, opts: { dryRun?: boolean }) => {
      const { remote, result } = await evictPacks(await ctx.openSession(), name, { dryRun: opts.dryRun === true });
      if (ctx.globals().json) ctx.printJson({ dryRun: opts.dryRun === true, ...result });
      else {
        ctx.out(`${opts.dryRun ? 'would free' : 'freed'} ${bytes(result.evicted)}${result.notOnRemote > 0 ? `; ${result.notOnRemote} more packs are not on "${remote}" yet (run \`strata sync\` first)` : ''}`);
      }
    });

  program
    .command('prefetch')
    .description('fetch back the evicted data a course\'s current files need (before working offline)')
    .argument('<course>', 'the course (tracked folder) name')
    .action(async (course: string) => {
      const fetched = await prefetchCourse(await ctx.openSession(), course);
      if (ctx.globals().json) ctx.printJson({ course, fetched });
      else ctx.out(fetched.objects > 0 ? `fetched ${bytes(fetched)} for "${course}"` : `"${course}" has all its current data here`);
    });

  program
    .command('cost')
    .description('monthly cost of the remote copy by tier, against keeping it all hot, and how to lower it')
    .argument('[remote]', 'the remote (default: the only one)')
    .action(async (name: string | undefined) => {
      const cost = await tierCost(await ctx.openSession(), name);
      if (ctx.globals().json) ctx.printJson(cost);
      else printCost(ctx, cost);
    });
}
