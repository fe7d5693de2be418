// Main's side of the contract over IPC: one ipcMain.handle per API method,
// each refusing calls that do not come from the top frame of Strata's own
// window showing Strata's own renderer (a navigated-away page or an iframe
// must not reach the engine).

import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { API_METHODS, type StrataApi } from '../shared/api';
import { PICK_FOLDER_CHANNEL, apiChannel } from '../shared/ipc';
import { dispatch } from '../engine/service/service';

/** Where the renderer is loaded from: the dev server or the built file. */
export type RendererLocation = { kind: 'dev'; origin: string } | { kind: 'file'; url: string };

export function isRendererUrl(url: string, renderer: RendererLocation): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (renderer.kind === 'dev') return parsed.origin === renderer.origin;
  // Query and fragment may change (in-page state); the document may not.
  const expected = new URL(renderer.url);
  return parsed.protocol === 'file:' && parsed.host === expected.host && parsed.pathname === expected.pathname;
}

export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  window: BrowserWindow | undefined,
  renderer: RendererLocation,
): boolean {
  const frame = event.senderFrame;
  if (!window || window.isDestroyed() || !frame) return false;
  if (event.sender !== window.webContents) return false;
  if (frame.parent !== null) return false;
  return isRendererUrl(frame.url, renderer);
}

export function registerApi(
  ipcMain: Pick<IpcMain, 'handle'>,
  service: StrataApi,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
  onInternalError: (err: unknown) => void,
): void {
  for (const method of API_METHODS) {
    ipcMain.handle(apiChannel(method), (event, ...args: unknown[]) => {
      if (!isTrusted(event)) {
        // A thrown Error, not an ApiError: this is not a contract outcome, and
        // the untrusted caller learns nothing beyond the refusal.
        throw new Error(`Refused ${method}: the call did not come from Strata's window.`);
      }
      return dispatch(service, method, args, onInternalError);
    });
  }
}

/**
 * The folder picker: `pick` shows the native dialog and resolves to the chosen
 * path (undefined if cancelled). Same sender check as the API; the renderer's
 * arguments, if any, are ignored.
 */
export function registerFolderPicker(
  ipcMain: Pick<IpcMain, 'handle'>,
  pick: () => Promise<string | undefined>,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
): void {
  ipcMain.handle(PICK_FOLDER_CHANNEL, async (event) => {
    if (!isTrusted(event)) throw new Error("Refused the folder picker: the call did not come from Strata's window.");
    return (await pick()) ?? null;
  });
}
