// Electron main's glue, with `electron` replaced by a recording fake (the real
// binary cannot run in tests) and the engine by in-memory fakes.

import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, type ApiResponse } from '../../src/shared/api';
import { EVENT_CHANNEL, PICK_FOLDER_CHANNEL } from '../../src/shared/ipc';
import { ENGINE_VERSION } from '../../src/engine/version';

type Handler = (event: unknown, ...args: unknown[]) => unknown;
type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  const handlers = new Map<string, Handler>();
  const appListeners = new Map<string, Listener>();
  const windows: FakeWindow[] = [];
  const headerFilters: Listener[] = [];

  class FakeWebContents {
    readonly send = vi.fn();
    readonly mainFrame = { url: '', parent: null };
  }

  class FakeWindow {
    readonly webContents = new FakeWebContents();
    readonly loadFile = vi.fn(async (_file: string) => {});
    readonly loadURL = vi.fn(async (_url: string) => {});
    readonly once = vi.fn();
    readonly on = vi.fn();
    readonly show = vi.fn();
    isDestroyed = () => false;
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      windows.push(this);
    }
  }

  const electron = {
    app: {
      isPackaged: false,
      enableSandbox: vi.fn(),
      requestSingleInstanceLock: vi.fn(() => true),
      quit: vi.fn(),
      on: vi.fn((name: string, listener: Listener) => appListeners.set(name, listener)),
      whenReady: vi.fn(() => Promise.resolve()),
    },
    BrowserWindow: FakeWindow,
    ipcMain: { handle: vi.fn((channel: string, handler: Handler) => handlers.set(channel, handler)) },
    nativeTheme: { shouldUseDarkColors: false },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: vi.fn((filter: Listener) => headerFilters.push(filter)) },
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
      },
    },
    shell: { openExternal: vi.fn() },
    dialog: {
      showOpenDialog: vi.fn(
        async (..._args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> => ({
          canceled: false,
          filePaths: ['/home/test/Courses/physics'],
        }),
      ),
    },
  };
  return { handlers, appListeners, windows, headerFilters, electron };
});

vi.mock('electron', () => fake.electron);

vi.mock('../../src/engine/service/deps', async () => {
  const { fakeEngine } = await import('./fakes');
  return { defaultRepositoryPath: () => '/home/test/Strata', engineDeps: () => fakeEngine('/home/test/Strata') };
});

let rendererUrl: string;

beforeAll(async () => {
  delete process.env['ELECTRON_RENDERER_URL'];
  await import('../../src/main/index');
  await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
  const file = fake.windows[0]?.loadFile.mock.calls[0]?.[0];
  if (!file) throw new Error('the window loaded no file');
  rendererUrl = pathToFileURL(file).href;
});

function mainWindow() {
  const window = fake.windows[0];
  if (!window) throw new Error('no window');
  return window;
}

/** An IPC event as Electron would build it, from the main window's top frame unless overridden. */
function ipcEvent(overrides: { url?: string; parent?: unknown; sender?: unknown; frame?: null } = {}) {
  const window = mainWindow();
  return {
    sender: overrides.sender ?? window.webContents,
    senderFrame:
      overrides.frame === null ? null : { url: overrides.url ?? `${rendererUrl}#/start`, parent: overrides.parent ?? null },
  };
}

async function pickFolder(event: unknown, ...args: unknown[]): Promise<unknown> {
  const handler = fake.handlers.get(PICK_FOLDER_CHANNEL);
  if (!handler) throw new Error('no folder picker handler');
  return handler(event, ...args);
}

async function call(method: string, event: unknown, ...args: unknown[]): Promise<ApiResponse> {
  const handler = fake.handlers.get(`strata:${method}`);
  if (!handler) throw new Error(`no handler for ${method}`);
  return (await handler(event, ...args)) as ApiResponse;
}

describe('Electron main', () => {
  it('registers a handler for every method of the contract and the folder picker, and nothing else', () => {
    expect([...fake.handlers.keys()].sort()).toEqual(
      [...API_METHODS.map((method) => `strata:${method}`), PICK_FOLDER_CHANNEL].sort(),
    );
  });

  it("shows the native folder picker, modal to the window, for the window's own page", async () => {
    fake.electron.dialog.showOpenDialog.mockClear();
    // Whatever the renderer passes is ignored: main decides the dialog.
    expect(await pickFolder(ipcEvent(), { properties: ['openFile'], defaultPath: '/etc' })).toBe('/home/test/Courses/physics');
    expect(fake.electron.dialog.showOpenDialog).toHaveBeenCalledTimes(1);
    const [parent, options] = fake.electron.dialog.showOpenDialog.mock.calls[0] ?? [];
    expect(parent).toBe(mainWindow());
    expect(options).toMatchObject({ properties: expect.arrayContaining(['openDirectory']) });
    expect((options as { properties: string[] }).properties).not.toContain('openFile');
    expect((options as { defaultPath?: string }).defaultPath).toBeUndefined();
  });

  it('answers a cancelled folder picker with nothing', async () => {
    fake.electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await pickFolder(ipcEvent())).toBeNull();
  });

  it.each([
    ['a remote page', { url: 'https://evil.example/' }],
    ['a subframe of the renderer', { parent: { url: 'file:///whatever' } }],
    ['another webContents', { sender: { id: 99 } }],
  ] as const)('refuses the folder picker to %s without showing it', async (_name, overrides) => {
    fake.electron.dialog.showOpenDialog.mockClear();
    await expect(pickFolder(ipcEvent(overrides))).rejects.toThrow(/Refused the folder picker/);
    expect(fake.electron.dialog.showOpenDialog).not.toHaveBeenCalled();
  });

  it('opens one sandboxed, context-isolated window with the CommonJS preload', () => {
    expect(fake.electron.app.enableSandbox).toHaveBeenCalled();
    const prefs = mainWindow().options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(prefs['webSecurity']).not.toBe(false);
    expect(String(prefs['preload'])).toMatch(/preload[/\\]index\.cjs$/);
    expect(rendererUrl).toMatch(/^file:.*\/renderer\/index\.html$/);
  });

  it('passes a call from the window to the service', async () => {
    expect(await call('app.version', ipcEvent())).toEqual({ result: { engine: ENGINE_VERSION } });
    expect(await call('repo.status', ipcEvent())).toEqual({
      result: { state: 'none', path: '/home/test/Strata', defaultPath: '/home/test/Strata' },
    });
  });

  it('returns contract errors as data, not as thrown errors', async () => {
    expect(await call('folders.backup', ipcEvent(), { path: '/courses/a' })).toEqual({
      error: { code: 'LOCKED', message: expect.any(String) },
    });
    expect(await call('repo.create', ipcEvent(), { path: 'relative' })).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', field: 'path' },
    });
  });

  it('forwards service events to the window', async () => {
    const response = await call('repo.create', ipcEvent(), { path: '/data/repo', passphrase: 'correct horse' });
    expect(response).toMatchObject({ result: { state: 'unlocked', path: '/data/repo' } });
    expect(mainWindow().webContents.send).toHaveBeenCalledWith(EVENT_CHANNEL, {
      name: 'repo.changed',
      payload: expect.objectContaining({ state: 'unlocked' }),
    });
  });

  it.each([
    ['a remote page', { url: 'https://evil.example/' }],
    ['another local file', { url: 'file:///tmp/evil.html' }],
    ['a subframe of the renderer', { parent: { url: 'file:///whatever' } }],
    ['another webContents', { sender: { id: 99 } }],
    ['a destroyed frame', { frame: null }],
  ] as const)('refuses a call from %s', async (_name, overrides) => {
    await expect(call('app.version', ipcEvent(overrides))).rejects.toThrow(/Refused app\.version/);
  });

  it('blocks navigation away from the renderer and new windows', () => {
    const created = fake.appListeners.get('web-contents-created');
    expect(created).toBeDefined();
    const listeners = new Map<string, Listener>();
    let openHandler: ((details: { url: string }) => unknown) | undefined;
    created?.(
      {},
      {
        on: (name: string, listener: Listener) => listeners.set(name, listener),
        setWindowOpenHandler: (handler: (details: { url: string }) => unknown) => (openHandler = handler),
      },
    );
    const away = { preventDefault: vi.fn() };
    listeners.get('will-navigate')?.(away, 'https://evil.example/');
    expect(away.preventDefault).toHaveBeenCalled();
    const within = { preventDefault: vi.fn() };
    listeners.get('will-navigate')?.(within, rendererUrl);
    expect(within.preventDefault).not.toHaveBeenCalled();
    expect(openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('sends the Content-Security-Policy header and refuses permissions', () => {
    const filter = fake.headerFilters[0];
    const callback = vi.fn();
    filter?.({ responseHeaders: { 'X-Other': ['1'] } }, callback);
    const headers = (callback.mock.calls[0]?.[0] as { responseHeaders: Record<string, string[]> }).responseHeaders;
    expect(headers['X-Other']).toEqual(['1']);
    expect(headers['Content-Security-Policy']?.[0]).toMatch(/default-src 'self'.*script-src 'self';/);
    expect(headers['Content-Security-Policy']?.[0]).not.toMatch(/unsafe/);
    const decide = vi.fn();
    const request = fake.electron.session.defaultSession.setPermissionRequestHandler.mock.calls[0]?.[0] as Listener;
    request({}, 'media', decide);
    expect(decide).toHaveBeenCalledWith(false);
  });
});
