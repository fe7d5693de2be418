// The CLI's exit statuses (documented in docs/cli.md and `strata --help`), and
// the one place that turns an error into one line on stderr and a status.

import { WrongPassphraseError } from '../engine/crypto/keyslot';
import { EngineError } from '../engine/errors';
import { StorageError } from '../engine/storage/backend';
import { UsageError } from './usage-error';

export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  noRepository: 3,
  wrongPassphrase: 4,
  damaged: 5,
  partial: 6,
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit status:
  0  success
  1  error (I/O, storage unreachable, ...)
  2  wrong usage (unknown option, missing argument)
  3  no repository at the given location (or an incomplete one: no key slots yet)
  4  wrong passphrase
  5  damaged or missing data (check found problems; restore hit damaged data)
  6  finished, but some files were skipped (unreadable, names that cannot be recorded, or restore paths inside the repository; see warnings)
  130 interrupted`;

/**
 * Records a status for the end of the command without hiding a worse one
 * already recorded: damaged data (5) outranks skipped files (6).
 */
export function noteExitCode(code: typeof ExitCode.damaged | typeof ExitCode.partial): void {
  if (process.exitCode === ExitCode.damaged) return;
  process.exitCode = code;
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof WrongPassphraseError) return ExitCode.wrongPassphrase;
  if (error instanceof EngineError) {
    switch (error.code) {
      case 'NO_REPOSITORY': return ExitCode.noRepository;
      case 'WRONG_PASSPHRASE': return ExitCode.wrongPassphrase;
      case 'DAMAGED': return ExitCode.damaged;
      case 'INVALID_ARGUMENT':
      case 'UNSAFE_PATH':
        return ExitCode.usage;
      default: return ExitCode.error;
    }
  }
  if (error instanceof StorageError && error.code === 'NOT_FOUND') return ExitCode.damaged;
  return ExitCode.error;
}

/** One line for the user; the stack only with STRATA_DEBUG=1. */
export function describeError(error: unknown): string {
  if (process.env.STRATA_DEBUG === '1' && error instanceof Error && error.stack) return error.stack;
  if (error instanceof StorageError && error.code === 'NOT_FOUND') return `missing data: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
