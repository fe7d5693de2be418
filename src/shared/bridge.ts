// The shape of `window.strata`, the object the preload exposes to the renderer
// in the desktop app (absent in a browser, where the renderer uses HTTP).

import type { ApiArgs, ApiMethod, ApiResult, StrataEventName, StrataEvents } from './api';

export interface StrataBridge {
  /**
   * Calls one contract method in the main process. Rejects with a plain
   * ApiError object, not an Error: contextBridge drops an Error's own
   * properties (its `code`), so the renderer's client rebuilds a StrataError.
   */
  invoke<M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>>;
  /** Listens to one engine event; returns the function that stops listening. */
  on<E extends StrataEventName>(event: E, listener: (payload: StrataEvents[E]) => void): () => void;
  /**
   * Shows the operating system's folder picker (main's dialog.showOpenDialog);
   * resolves to the chosen folder's absolute path, or undefined if the user
   * cancelled. Optional so the type also fits hosts without a native dialog.
   */
  pickFolder?(): Promise<string | undefined>;
}

declare global {
  interface Window {
    readonly strata?: StrataBridge;
  }
}
