// What kind of failure a thrown error is: the one place that looks inside
// errors, so every host answers the same failure the same way. Each host maps
// the kind with a table: the CLI to an exit status (cli/exit-codes.ts), the
// service to an API error code (service/service.ts). It lives in ops/ because
// it knows the storage layer's StorageError, which the engine's foundations
// (errors.ts) must not import.

import { errorMessage, type EngineErrorCode } from '../errors';
import { StorageError } from '../storage/backend';

export type ErrorKind =
  /** An EngineError's code, or any error carrying one (WrongPassphraseError's WRONG_PASSPHRASE). */
  | EngineErrorCode
  /** The store lacks an object the repository names (StorageError NOT_FOUND): damaged or missing data. */
  | 'MISSING_DATA'
  /** No file or folder at a path the user named (Node's ENOENT). */
  | 'NO_SUCH_PATH'
  /** A path the user named as a folder is a file (ENOTDIR). */
  | 'NOT_A_FOLDER'
  /** The operating system refused access to a path (EACCES, EPERM). */
  | 'PERMISSION_DENIED'
  /** Anything else: a bug or an unexpected failure. */
  | 'UNKNOWN';

export interface ClassifiedError {
  kind: ErrorKind;
  /** The error's own message (one line, the engine's wording); hosts may reword by kind. */
  message: string;
  /** The path a Node file system error names, when it names one. */
  path?: string;
}

// Every EngineErrorCode once (the compiler checks the list is whole): a code
// read off any error is trusted only if it is one of these.
const engineCodes: Record<EngineErrorCode, true> = {
  NO_REPOSITORY: true,
  REPO_EXISTS: true,
  WRONG_PASSPHRASE: true,
  DAMAGED: true,
  UNSAFE_PATH: true,
  INVALID_ARGUMENT: true,
  NOT_FOUND: true,
  UNAVAILABLE: true,
  CANCELLED: true,
};

const nodeCodes: Partial<Record<string, ErrorKind>> = {
  ENOENT: 'NO_SUCH_PATH',
  ENOTDIR: 'NOT_A_FOLDER',
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
};

function isEngineErrorCode(code: unknown): code is EngineErrorCode {
  return typeof code === 'string' && Object.hasOwn(engineCodes, code);
}

export function classifyError(error: unknown): ClassifiedError {
  const message = errorMessage(error);
  const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; path?: unknown; name?: unknown }) : {};
  const { code, path, name } = fields;
  // Before the codes: a storage NOT_FOUND is an object the repository lost, not a name the user got wrong.
  if (error instanceof StorageError && error.code === 'NOT_FOUND') return { kind: 'MISSING_DATA', message };
  // By code, not class: WrongPassphraseError (a crypto error) and the service tests' fakes carry the same codes.
  if (isEngineErrorCode(code)) return { kind: code, message };
  if (name === 'AbortError') return { kind: 'CANCELLED', message };
  const nodeKind = typeof code === 'string' ? nodeCodes[code] : undefined;
  if (nodeKind) return typeof path === 'string' ? { kind: nodeKind, message, path } : { kind: nodeKind, message };
  return { kind: 'UNKNOWN', message };
}
