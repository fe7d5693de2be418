// The CLI's exit statuses (documented in docs/cli.md and `strata --help`), and
// the one place that turns an error into one line on stderr and a status: the
// engine classifies the failure (ops/error-kind.ts), the table below answers it.

import { classifyError, type ClassifiedError, type ErrorKind } from '../engine/ops/error-kind';

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

/** Each kind of failure as an exit status, and how the one line on stderr words it (else the error's message). */
export const exitStatuses: Record<ErrorKind, { status: number; wording?: (failure: ClassifiedError) => string }> = {
  NO_REPOSITORY: { status: ExitCode.noRepository },
  REPO_EXISTS: { status: ExitCode.error },
  WRONG_PASSPHRASE: { status: ExitCode.wrongPassphrase },
  DAMAGED: { status: ExitCode.damaged },
  MISSING_DATA: { status: ExitCode.damaged, wording: (failure) => `missing data: ${failure.message}` },
  // A UsageError is an INVALID_ARGUMENT too (usage-error.ts).
  INVALID_ARGUMENT: { status: ExitCode.usage },
  UNSAFE_PATH: { status: ExitCode.usage },
  NOT_FOUND: { status: ExitCode.error },
  UNAVAILABLE: { status: ExitCode.error },
  CANCELLED: { status: ExitCode.interrupted },
  NO_SUCH_PATH: { status: ExitCode.error },
  NOT_A_FOLDER: { status: ExitCode.error },
  PERMISSION_DENIED: { status: ExitCode.error },
  UNKNOWN: { status: ExitCode.error },
};

export function exitCodeOf(error: unknown): number {
  return exitStatuses[classifyError(error).kind].status;
}

/** One line for the user; the stack only with STRATA_DEBUG=1. */
export function describeError(error: unknown): string {
  if (process.env.STRATA_DEBUG === '1' && error instanceof Error && error.stack) return error.stack;
  const failure = classifyError(error);
  const { wording } = exitStatuses[failure.kind];
  return wording ? wording(failure) : failure.message;
}
