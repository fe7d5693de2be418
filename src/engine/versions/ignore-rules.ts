// Which files of a tracked folder are never versioned: operating-system junk,
// editors' temporary and lock files, version-control internals, and what the
// folder's own `.strataignore` lists (gitignore syntax).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const IGNORE_FILE = '.strataignore';

/** Ignored in every folder, before the folder's own rules (which may re-include with `!`). */
export const DEFAULT_IGNORES: readonly string[] = [
  // operating systems
  '.DS_Store', '._*', 'Thumbs.db', 'ehthumbs.db', 'desktop.ini', '$RECYCLE.BIN/', '.Trash-*/', '.Spotlight-V100/', '.fseventsd/',
  // editors' swap, backup, temporary and lock files
  '*.swp', '*.swo', '*.swx', '*~', '.#*', '#*#', '~$*', '.~lock.*#', '*.tmp', '*.temp', '*.crdownload', '*.part', '*.partial',
  '.goutputstream-*', '*.kate-swp', '.*.sw?',
  // version control and tools' internals
  '.git/', '.svn/', '.hg/', 'node_modules/', '__pycache__/', '.ipynb_checkpoints/',
  // Strata's own temporary files
  '.strata-restore-*', '.strata-tmp-*',
];

export class IgnoreRules {
  private constructor(private readonly matcher: Ignore) {}

  /** The rules of a folder: the defaults, then its `.strataignore` if there is one. */
  static async forFolder(root: string): Promise<IgnoreRules> {
    const matcher = ignore().add([...DEFAULT_IGNORES]);
    try {
      matcher.add(await readFile(join(root, IGNORE_FILE), 'utf8'));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
    }
    return new IgnoreRules(matcher);
  }

  /** Whether a folder-relative path ('/'-separated) is ignored; directories are tested with `dir` true. */
  ignores(relPath: string, dir = false): boolean {
    return this.matcher.ignores(dir ? `${relPath}/` : relPath);
  }
}
