// `strata cost`: what the repository's remote copy costs per month, by tier,
// against the same content kept all hot, with recommendations that would
// lower it. Storage is priced per object (minimum billable sizes and archive
// overheads included, cost-model.ts); reads are priced from this machine's
// read record of the last 30 days (GETs, plus restores and retrieval for
// cold packs). Where the remote is not tiered yet, "now" is what the policy's
// placement would cost.

import { monthlyStorage } from './cost-model';
import type { PlacementPolicy, Tier } from './policy';
import { priceOf, type PriceTable } from './prices';
import type { TierReport } from './tier-report';
import type { TierState } from './tier-state';

const GIB = 1024 ** 3;
const DAY = 86_400_000;
/** A course unchanged and unread this long is worth archiving. */
const IDLE_DAYS = 60;

export interface TierCost {
  storageClass: string;
  objects: number;
  bytes: number;
  storage: number;
  reads: number;
  total: number;
}

export interface Recommendation {
  action: 'archive' | 'migrate' | 'add-remote';
  course?: string;
  savesPerMonth: number;
  message: string;
}

export interface CostReport {
  currency: 'USD';
  /** Priced from the remote's actual placement, or (no remote, or one not tiered) from the policy's. */
  basis: 'remote' | 'policy';
  perMonth: { hot: TierCost; cold: TierCost; total: number };
  /** The same objects all in the hot class. */
  allHot: number;
  savingsPercent: number;
  /** After the policy's pending moves. */
  withPolicy: number;
  policySavingsPercent: number;
  recommendations: Recommendation[];
}

/** "$1.25/month"; amounts under a cent say so rather than "$0.00". */
function perMonth(x: number): string {
  return x < 0.01 ? 'less than $0.01/month' : `$${x.toFixed(2)}/month`;
}

function percent(saved: number, of: number): number {
  return of > 0 ? Math.round((saved / of) * 1000) / 10 : 0;
}

export function costReport(report: TierReport, policy: PlacementPolicy, prices: PriceTable, tierState: TierState, classes: { hot: string; cold: string }, now = Date.now()): CostReport {
  const classOf = (tier: Tier): string => (tier === 'cold' ? classes.cold : classes.hot);
  // Unknown classes fail here, with the classes the table knows, before any pricing.
  priceOf(prices, classes.hot);
  priceOf(prices, classes.cold);
  const remoteTiers = report.remote?.tiered === true;
  // Per pack: reads in the last 30 days (each reads the pack once, whole).
  const readsOf = (name: string): number => (tierState.reads(name)?.recent ?? []).filter((t) => now - t < 30 * DAY).length;
  const readCost = (cls: string, bytes: number, reads: number): number => {
    const p = priceOf(prices, cls);
    return reads * (p.getPer1000 / 1000 + p.restorePer1000 / 1000 + (bytes / GIB) * p.retrievalPerGb);
  };
  const costAt = (where: (name: string, want: Tier) => Tier): { hot: TierCost; cold: TierCost; total: number } => {
    const tiers = { hot: { storageClass: classes.hot, objects: 0, bytes: 0, storage: 0, reads: 0, total: 0 }, cold: { storageClass: classes.cold, objects: 0, bytes: 0, storage: 0, reads: 0, total: 0 } };
    for (const [name, { tier: want, info }] of report.placements) {
      const tier = where(name, want);
      const t = tiers[tier];
      t.objects++;
      t.bytes += info.size;
      t.storage += monthlyStorage(prices, classOf(tier), info.size);
      t.reads += readCost(classOf(tier), info.size, readsOf(name));
    }
    // Metadata objects (index, snapshots, version batches, keys) are always hot.
    const meta = report.remote?.metadata;
    if (meta) {
      tiers.hot.objects += meta.objects;
      tiers.hot.bytes += meta.bytes;
      tiers.hot.storage += monthlyStorage(prices, classes.hot, meta.bytes);
    }
    for (const t of Object.values(tiers)) t.total = t.storage + t.reads;
    return { ...tiers, total: tiers.hot.total + tiers.cold.total };
  };
  const moves = new Map(report.moves.map((m) => [m.name, m]));
  const current = remoteTiers ? costAt((name, want) => moves.get(name)?.from ?? want) : costAt((_n, want) => want);
  const withPolicy = costAt((_n, want) => want);
  const allHot = costAt(() => 'hot');

  const recommendations: Recommendation[] = [];
  if (!report.remote) recommendations.push({ action: 'add-remote', savesPerMonth: 0, message: 'no remote yet: `strata remote add NAME --hot URL --cold URL` keeps an encrypted copy off this machine' });
  if (remoteTiers && report.moves.length > 0 && current.total - withPolicy.total > 0) {
    const saves = current.total - withPolicy.total;
    recommendations.push({ action: 'migrate', savesPerMonth: saves, message: `move ${report.moves.length} packs as the policy says (\`strata tiers --apply\`): saves ${perMonth(saves)}` });
  }
  // Active courses unchanged and unread for 60 days: archiving them would move their data cold.
  for (const course of report.courses) {
    if (course.state !== 'active') continue;
    let saves = 0;
    let inUse = false;
    for (const { tier, info } of report.placements.values()) {
      if (!info.courses.includes(course.course) || info.facts.kind !== 'data') continue;
      if ((info.facts.daysSinceRead !== null && info.facts.daysSinceRead < IDLE_DAYS) || info.facts.ageDays < IDLE_DAYS) inUse = true;
      if (tier === 'hot') saves += monthlyStorage(prices, classes.hot, info.size) - monthlyStorage(prices, classes.cold, info.size);
    }
    if (!inUse && saves > 0) {
      recommendations.push({ action: 'archive', course: course.course, savesPerMonth: saves, message: `archive course "${course.course}" (\`strata archive "${course.course}"\`): saves ${perMonth(saves)}` });
    }
  }
  recommendations.sort((a, b) => b.savesPerMonth - a.savesPerMonth);
  return {
    currency: 'USD',
    basis: remoteTiers ? 'remote' : 'policy',
    perMonth: current,
    allHot: allHot.total,
    savingsPercent: percent(allHot.total - current.total, allHot.total),
    withPolicy: withPolicy.total,
    policySavingsPercent: percent(allHot.total - withPolicy.total, allHot.total),
    recommendations,
  };
}
