// Engine errors callers can act on. Each has a stable `code`; ops/error-kind.ts
// classifies every failure by it, and each host maps the kind (the CLI to an
// exit status, the service to an API error code). Messages are one line,
// written for the user.

export type EngineErrorCode =
  | 'NO_REPOSITORY'
  | 'REPO_EXISTS'
  | 'WRONG_PASSPHRASE'
  | 'DAMAGED'
  | 'UNSAFE_PATH'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  /** A remote cannot serve it now (unreachable, or archived data still thawing). */
  | 'UNAVAILABLE'
  /** Stopped on request (an operation's AbortSignal) before it finished. */
  | 'CANCELLED';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** A stored object failed authentication, hashing or parsing. */
export class DamagedObjectError extends EngineError {
  constructor(readonly objectName: string, reason: string, options?: { cause?: unknown }) {
    super('DAMAGED', `damaged object ${objectName}: ${reason}`, options);
    this.name = 'DamagedObjectError';
  }
}

/** A path in a snapshot or argument would escape the restore target. */
export class UnsafePathError extends EngineError {
  constructor(readonly path: string, reason: string) {
    super('UNSAFE_PATH', `refusing unsafe path ${JSON.stringify(path)}: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
