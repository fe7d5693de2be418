// Refusals that name the argument at fault. An operation that takes several
// arguments says which one it refuses (INVALID_ARGUMENT or NOT_FOUND, in the
// engine's words), so that a host can point at it (the app's form fields)
// without checking again or reading the message. The CLI prints them like any
// engine error: same code, same message.

import { EngineError } from '../errors';

export type RefusalCode = 'INVALID_ARGUMENT' | 'NOT_FOUND';

export class ArgumentError extends EngineError {
  constructor(code: RefusalCode, readonly argument: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ArgumentError';
  }
}

/** The name asked for is taken already (by a tracked folder, a remote): hosts may word it their own way. */
export class NameTakenError extends ArgumentError {
  constructor(readonly taken: string, message: string) {
    super('INVALID_ARGUMENT', 'name', message);
    this.name = 'NameTakenError';
  }
}

/** Runs `check`, naming `argument` in the INVALID_ARGUMENT or NOT_FOUND it throws; other failures pass as they are. */
export function refusing<T>(argument: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof EngineError && !(error instanceof ArgumentError) && (error.code === 'INVALID_ARGUMENT' || error.code === 'NOT_FOUND')) {
      throw new ArgumentError(error.code, argument, error.message, { cause: error });
    }
    throw error;
  }
}
