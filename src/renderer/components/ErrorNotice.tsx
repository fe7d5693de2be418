// The error of an action that no single field owns.

import type { StrataError } from '../../shared/errors';

export function ErrorNotice({ error, fields = [] }: { error: StrataError | undefined; fields?: string[] }) {
  // Errors about a field are shown beside that field instead.
  if (!error || (error.field !== undefined && fields.includes(error.field))) return null;
  return (
    <p className="notice notice-error" role="alert">
      {error.message}
    </p>
  );
}

export function fieldError(error: StrataError | undefined, field: string): string | undefined {
  return error?.field === field ? error.message : undefined;
}
