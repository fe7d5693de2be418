// A mistake in how the command was called: an invalid argument, so exit status 2
// (cli/exit-codes.ts maps it like any engine INVALID_ARGUMENT).

import { EngineError } from '../engine/errors';

export class UsageError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
    this.name = 'UsageError';
  }
}
