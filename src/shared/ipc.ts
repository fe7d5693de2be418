// The Electron IPC channel names the preload and main agree on.

import type { ApiMethod } from './api';

/** Channel of one contract method: every call is an ipcRenderer.invoke on it. */
export function apiChannel<M extends ApiMethod>(method: M): `strata:${M}` {
  return `strata:${method}`;
}

/** Channel main pushes StrataEvent objects on. */
export const EVENT_CHANNEL = 'strata-event';

/** Channel of the desktop-only folder picker (not a contract method: the headless host has none). */
export const PICK_FOLDER_CHANNEL = 'strata-app:pick-folder';
