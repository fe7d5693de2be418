// What the CLI warns about, told by the app too: files among the repository's
// objects that are not objects (strays, repo/listing.ts), files an adopted
// course does not have on this computer yet and names a scan could not record
// (scanner.ts), a damaged tier state moved aside (tier-state.ts), and version
// batches that are damaged or missing (history.ts). Each goes into the
// activity log once while the repository is unlocked (every listing meets a
// stray again; the watcher's every scan meets a missing file again), and what
// still holds is among the Dashboard's alerts. Names come from disks and other
// devices: they go into texts with control characters escaped, as data.

import type { ActivityItem, Alert } from '../../shared/api';
import { printable } from '../printable';
import type { HistoryProblem } from '../versions/history';
import type { TrackedFolder } from '../versions/local-state';
import type { ScanResult } from '../versions/scanner';

/** Names listed in one activity item or alert; the rest are counted. */
const NAMES_SHOWN = 20;
const NAMES_IN_ALERT = 3;

type AddActivity = (entry: Omit<ActivityItem, 'id' | 'time'>) => unknown;

export class Notices {
  /** Strays by `where` ('' for the repository itself), then name. */
  private readonly strays = new Map<string, Set<string>>();
  /** Things set right on the way (a damaged tier state moved aside), as the engine words them. */
  private readonly repaired: string[] = [];
  /** Each adopted course's files not here, as its last scan found them (course-relative paths), by course id. */
  private readonly missing = new Map<string, string[]>();
  /** Names each course's last scan could not record, by course id. */
  private readonly unrecordable = new Map<string, string[]>();
  /** Names already told about (per course) and history batches already told about. */
  private readonly toldUnrecordable = new Set<string>();
  private readonly toldHistory = new Set<string>();

  constructor(private readonly add: AddActivity) {}

  /** A file among the objects that is not one, in the repository or (`where`) on a remote. */
  stray(name: string, where?: string): void {
    const key = where ?? '';
    let names = this.strays.get(key);
    if (!names) this.strays.set(key, (names = new Set()));
    if (names.has(name)) return;
    names.add(name);
    this.add({
      kind: 'check',
      title: `Ignoring ${printable(name)}${where ? ` on ${printable(where)}` : ' in the repository'}: it is not a Strata object`,
      detail: 'Another program put it there (a .DS_Store, a sync tool\'s temporary file?). Strata does not read, copy or delete it; remove it if nothing needs it.',
    });
  }

  /** Something set right on the way, in the engine's words (a damaged tier state moved aside). */
  repairedOnOpen(message: string): void {
    this.repaired.push(message);
    this.add({ kind: 'check', title: 'This computer\'s tier state was damaged and started anew', detail: sentence(message) });
  }

  /** What one scan of `folders` found besides versions: files an adopted course lacks here, names it cannot record. */
  scanned(folders: readonly TrackedFolder[], result: ScanResult): void {
    for (const folder of folders) {
      const prefix = `${folder.name}/`;
      const mine = (paths: string[]): string[] => paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));

      const notHere = folder.observed === false ? mine(result.notHere) : [];
      const before = this.missing.get(folder.id) ?? [];
      if (notHere.length === 0) this.missing.delete(folder.id);
      else this.missing.set(folder.id, notHere);
      if (notHere.length > 0 && notHere.join('\0') !== before.join('\0')) {
        this.add({
          kind: 'check',
          title: `${count(notHere.length, 'file')} of "${printable(folder.name)}" ${notHere.length === 1 ? 'is' : 'are'} not on this computer; not recorded as deleted`,
          detail: `Other devices have ${notHere.length === 1 ? 'it' : 'them'} in this course. Restore the course to put ${notHere.length === 1 ? 'it' : 'them'} here, or confirm the deletions on the Courses screen.\n${listed(notHere)}`,
          course: folder.id,
        });
      }

      const names = mine(result.unrecordable);
      if (names.length === 0) this.unrecordable.delete(folder.id);
      else this.unrecordable.set(folder.id, names);
      const fresh = names.filter((n) => !this.toldUnrecordable.has(`${folder.id}/${n}`));
      for (const n of fresh) this.toldUnrecordable.add(`${folder.id}/${n}`);
      if (fresh.length > 0) {
        this.add({
          kind: 'error',
          title: `${count(fresh.length, 'file')} in "${printable(folder.name)}" not protected: ${fresh.length === 1 ? 'its name' : 'their names'} cannot be recorded`,
          detail: `Names must be valid UTF-8, without a backslash; rename ${fresh.length === 1 ? 'it' : 'them'} to protect ${fresh.length === 1 ? 'it' : 'them'}.\n${listed(fresh)}`,
          course: folder.id,
        });
      }
    }
  }

  /** The history's problems as read now: each batch told about once. */
  history(problems: readonly HistoryProblem[]): void {
    for (const p of problems) {
      if (this.toldHistory.has(p.object)) continue;
      this.toldHistory.add(p.object);
      this.add({
        kind: 'error',
        title: `History batch ${printable(p.object)} ${p.kind === 'missing' ? 'is missing' : 'cannot be read'}`,
        detail: `${p.message}. New changes are not recorded until it is back (sync with a remote that has it).`,
      });
    }
  }

  /** How many files of an adopted course its last scan did not find here (undefined before a scan). */
  notHere(folder: TrackedFolder): number | undefined {
    if (folder.observed !== false) return undefined;
    return this.missing.get(folder.id)?.length;
  }

  /** The Dashboard's alerts for what still holds: `problems` as the history reads now, `folders` the tracked ones. */
  alerts(problems: readonly HistoryProblem[], folders: readonly TrackedFolder[]): Alert[] {
    const alerts: Alert[] = [];
    for (const p of problems) {
      alerts.push({ level: 'error', kind: 'check', message: `History batch ${p.object} ${p.kind === 'missing' ? 'is ' : 'cannot be read: '}${p.message}. New changes are not recorded until it is back (sync with a remote that has it).` });
    }
    for (const [where, set] of this.strays) {
      const names = [...set].sort();
      alerts.push({
        level: 'warning',
        kind: 'check',
        message: `${count(names.length, 'file')} ${where ? `on ${printable(where)}` : 'in the repository folder'} ${names.length === 1 ? 'is' : 'are'} not Strata objects and ${names.length === 1 ? 'is' : 'are'} ignored: ${few(names)}.`,
      });
    }
    for (const message of this.repaired) alerts.push({ level: 'warning', kind: 'check', message: sentence(message) });
    for (const folder of folders) {
      const missing = this.notHere(folder);
      if (missing) {
        alerts.push({ level: 'warning', kind: 'check', message: `${count(missing, 'file')} of "${printable(folder.name)}" ${missing === 1 ? 'is' : 'are'} not on this computer and not recorded as deleted: restore the course, or confirm the deletions on the Courses screen.` });
      }
      const names = this.unrecordable.get(folder.id);
      if (names) {
        alerts.push({ level: 'error', kind: 'check', message: `${count(names.length, 'file')} in "${printable(folder.name)}" ${names.length === 1 ? 'is' : 'are'} not protected: ${names.length === 1 ? 'its name' : 'their names'} cannot be recorded (${few(names)}); rename ${names.length === 1 ? 'it' : 'them'}.` });
      }
    }
    return alerts;
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** One name a line, the first NAMES_SHOWN of them. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).map(printable);
  return shown.join('\n') + (names.length > shown.length ? `\n… and ${names.length - shown.length} more` : '');
}

/** The first few names, and how many more. */
function few(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_IN_ALERT).map(printable).join(', ');
  return names.length > NAMES_IN_ALERT ? `${shown} and ${names.length - NAMES_IN_ALERT} more` : shown;
}

/** An engine message (lower case, no stop) as a sentence, for the app's texts. */
export function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
