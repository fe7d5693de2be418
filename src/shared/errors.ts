// StrataError: how the contract's failures are thrown on either side of a
// boundary. The service throws it; hosts turn it into a plain ApiError for the
// wire; clients rebuild it so callers can branch on `code`.

import type { ApiError, ApiErrorCode } from './api';

export class StrataError extends Error {
  readonly code: ApiErrorCode;
  readonly field: string | undefined;

  constructor(code: ApiErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'StrataError';
    this.code = code;
    this.field = field;
  }

  static from(error: ApiError): StrataError {
    return new StrataError(error.code, error.message, error.field);
  }

  toApiError(): ApiError {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}
