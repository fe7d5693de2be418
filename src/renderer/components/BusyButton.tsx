// A button for an action that takes a while: disabled and aria-busy while it
// runs, its label saying so ("Saving…"). A submit button unless told otherwise.

import type { ButtonHTMLAttributes } from 'react';

interface BusyButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  busy: boolean;
  /** The label while busy, e.g. "Saving…". */
  busyLabel: string;
}

export function BusyButton({ busy, busyLabel, children, disabled, type = 'submit', className = 'primary', ...button }: BusyButtonProps) {
  return (
    <button {...button} type={type} className={className} disabled={busy || disabled} aria-busy={busy}>
      {busy ? busyLabel : children}
    </button>
  );
}
