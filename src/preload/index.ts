// The preload: exposes the shared API to the renderer as `window.strata`
// (plus the desktop's folder picker), and nothing else — no ipcRenderer, no Node. Runs sandboxed, so it is bundled as
// CommonJS with its src/shared imports inlined.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  isApiMethod,
  type ApiArgs,
  type ApiError,
  type ApiMethod,
  type ApiResponse,
  type ApiResult,
  type StrataEvent,
  type StrataEventName,
  type StrataEvents,
} from '../shared/api';
import type { StrataBridge } from '../shared/bridge';
import { EVENT_CHANNEL, PICK_FOLDER_CHANNEL, apiChannel } from '../shared/ipc';

const strata = {
  async invoke<M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>> {
    // The renderer is untrusted input too: only contract channels are reachable.
    if (typeof method !== 'string' || !isApiMethod(method)) {
      const unknown: ApiError = { code: 'NOT_FOUND', message: `Unknown method: ${String(method)}` };
      throw unknown;
    }
    const response = (await ipcRenderer.invoke(apiChannel(method), ...args)) as ApiResponse<M>;
    // A plain object survives contextBridge intact; an Error would lose `code`.
    if ('error' in response) throw response.error;
    return response.result;
  },

  on<E extends StrataEventName>(event: E, listener: (payload: StrataEvents[E]) => void): () => void {
    const forward = (_event: IpcRendererEvent, message: StrataEvent): void => {
      if (message.name === event) listener(message.payload as StrataEvents[E]);
    };
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },

  async pickFolder(): Promise<string | undefined> {
    // Takes nothing from the renderer: main decides the dialog's options.
    const chosen: unknown = await ipcRenderer.invoke(PICK_FOLDER_CHANNEL);
    return typeof chosen === 'string' ? chosen : undefined;
  },
} satisfies StrataBridge;

contextBridge.exposeInMainWorld('strata', strata);
