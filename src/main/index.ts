// Electron main process: the one window, the app's security policy (sandbox,
// CSP, no navigation, no new windows, no permissions) and the validated IPC
// that connects the renderer to the engine's service. Deliberately thin: all
// behaviour lives in the engine, shared with the CLI and the headless host.

import { BrowserWindow, app, dialog, ipcMain, nativeTheme, session, shell, type OpenDialogOptions, type Session } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StrataEvent } from '../shared/api';
import { CONTENT_SECURITY_POLICY_HEADER, devContentSecurityPolicy } from '../shared/csp';
import { EVENT_CHANNEL } from '../shared/ipc';
import { createAppService } from './engine';
import { isRendererUrl, isTrustedSender, registerApi, registerFolderPicker, type RendererLocation } from './ipc';

// electron-vite sets ELECTRON_RENDERER_URL in `electron-vite dev`; a packaged
// app ignores it so an environment variable cannot point it at another page.
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const rendererFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
// Sandboxed preloads cannot be ES modules: the build emits CommonJS (.cjs).
const preloadFile = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

const renderer: RendererLocation = devServerUrl
  ? { kind: 'dev', origin: new URL(devServerUrl).origin }
  : { kind: 'file', url: pathToFileURL(rendererFile).href };

let mainWindow: BrowserWindow | undefined;

const service = createAppService((name, payload) => {
  const event = { name, payload } as StrataEvent;
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(EVENT_CHANNEL, event);
});

// Registered before any window exists, so no call can arrive unhandled.
registerApi(
  ipcMain,
  service,
  (event) => isTrustedSender(event, mainWindow, renderer),
  (err) => console.error('strata: internal error', err),
);

registerFolderPicker(
  ipcMain,
  async () => {
    const options: OpenDialogOptions = { title: 'Choose a folder', properties: ['openDirectory', 'createDirectory'] };
    // Modal to the window when there is one.
    const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
    return result.canceled ? undefined : result.filePaths[0];
  },
  (event) => isTrustedSender(event, mainWindow, renderer),
);

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Strata',
    width: 960,
    height: 720,
    minWidth: 560,
    minHeight: 480,
    show: false,
    // Matches the page background so the window does not flash white in dark mode.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#17181b' : '#f7f7f5',
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  if (renderer.kind === 'dev' && devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

function applySessionPolicy(target: Session): void {
  const policy =
    renderer.kind === 'dev' ? devContentSecurityPolicy(renderer.origin) : CONTENT_SECURITY_POLICY_HEADER;
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  // Strata needs no camera, notifications, geolocation, ...: refuse them all.
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
}

app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another Strata already runs (and holds the repository): let it come forward.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (navigation, url) => {
      if (!isRendererUrl(url, renderer)) navigation.preventDefault();
    });
    contents.on('will-attach-webview', (attach) => attach.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the web open in the user's browser, never inside Strata.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  void app.whenReady().then(() => {
    applySessionPolicy(session.defaultSession);
    mainWindow = createWindow();
    app.on('activate', () => {
      if (!mainWindow) mainWindow = createWindow();
    });
  });
}
