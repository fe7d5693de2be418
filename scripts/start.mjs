// `npm start`: builds the app when out/ is missing or older than its sources,
// then runs the desktop app in Electron — or, where Electron cannot start (no
// display, no Electron binary, root on Linux, or --headless), says why in one
// line and serves the same UI headless on 127.0.0.1 instead.
//
// Usage: npm start [-- --headless] [-- --port N]   (other args go to `serve`)

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const forceHeadless = args.includes('--headless');
const serveArgs = args.filter((arg) => arg !== '--headless');

// Each build's every entry: a bundle without its blob worker entry beside it cannot back up.
const appOutputs = ['out/main/index.js', 'out/main/blob-worker.mjs', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(root, p));
const cliOutputs = ['dist/strata.mjs', 'dist/blob-worker.mjs'].map((p) => join(root, p));
const hasCli = existsSync(join(root, 'bin/strata.js')) && existsSync(join(root, 'scripts/build-cli.mjs'));
const inputs = ['src', 'electron.vite.config.ts', 'package.json'].map((p) => join(root, p));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function isStale(files) {
  if (!files.every((file) => existsSync(file))) return true;
  return Math.min(...files.map((file) => statSync(file).mtimeMs)) < Math.max(...inputs.map(newestMtime));
}

function run(command, commandArgs) {
  return spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' }).status === 0;
}

/** Builds what is stale; returns whether the CLI bundle is usable. */
function buildIfStale() {
  let cliUsable = hasCli;
  if (hasCli && isStale(cliOutputs)) {
    console.error('strata: building the CLI…');
    cliUsable = run(process.execPath, ['scripts/build-cli.mjs']);
    // The desktop app does not need the CLI: carry on, serving from sources if headless.
    if (!cliUsable) console.error('strata: the CLI build failed (see above); continuing without it');
  }
  if (isStale(appOutputs)) {
    console.error('strata: building the app…');
    if (!run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'])) {
      console.error('strata: `electron-vite build` failed');
      process.exit(1);
    }
  }
  return cliUsable;
}

/** The Electron executable, or why there is none. Never triggers a download. */
function findElectron() {
  if (forceHeadless) return { reason: '--headless' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'no display' };
  }
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    // Chromium refuses root unless its sandbox is disabled, which Strata won't do.
    return { reason: 'running as root' };
  }
  const electronDir = join(root, 'node_modules/electron');
  const pathFile = join(electronDir, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!existsSync(pathFile) && !override) return { reason: 'the Electron binary is not installed' };
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const executable = override ? join(override, relative) : join(electronDir, 'dist', relative);
  if (!existsSync(executable)) return { reason: 'the Electron binary is not installed' };
  return { executable };
}

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function serveHeadless(reason, cliUsable) {
  console.error(`Electron cannot start here (${reason}): serving Strata headless instead`);
  let child;
  if (cliUsable) {
    child = spawn(process.execPath, [join(root, 'bin/strata.js'), 'serve', ...serveArgs], { cwd: root, stdio: 'inherit' });
  } else {
    // No usable CLI bundle (not written or not building yet): the headless host from the sources.
    const module = (path) => JSON.stringify(pathToFileURL(join(root, path)).href);
    const script = `
      const { startHeadlessHost, createEventFeed } = await import(${module('src/serve/serve.ts')});
      const { createService } = await import(${module('src/engine/service/service.ts')});
      const { engineDeps } = await import(${module('src/engine/service/deps.ts')});
      const args = process.argv.slice(1);
      const portAt = args.indexOf('--port');
      const port = portAt >= 0 ? Number(args[portAt + 1]) : 0;
      const feed = createEventFeed();
      const host = await startHeadlessHost({
        port,
        rendererDir: ${JSON.stringify(join(root, 'out/renderer'))},
        service: createService(engineDeps(), feed.emit),
        events: feed,
      });
      console.log('Strata is running at ' + host.url);
      const stop = () => host.close().finally(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    `;
    child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...serveArgs], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  forwardSignals(child);
}

const cliUsable = buildIfStale();
const electron = findElectron();
if (electron.executable) {
  const child = spawn(electron.executable, ['.', ...serveArgs], { cwd: root, stdio: 'inherit' });
  child.on('error', (err) => serveHeadless(`Electron failed to launch: ${err.message}`, cliUsable));
  forwardSignals(child);
} else {
  serveHeadless(electron.reason, cliUsable);
}
