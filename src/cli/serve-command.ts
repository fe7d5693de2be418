// `strata serve`: the headless host over the real engine, printing the URL.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRepositoryPath, engineDeps } from '../engine/deps';
import { createService } from '../engine/service';
import { createEventFeed, startHeadlessHost } from './serve';

/** The built renderer: out/renderer beside the package root. */
function rendererDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'out', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the app is not built (out/renderer is missing): run `npm run build` first');
}

/** How long a clean shutdown (in-progress scan or sync finishing) may take before the process just exits. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function serve(port: number, repo: string | undefined): Promise<void> {
  const events = createEventFeed();
  const service = createService(engineDeps(repo ? resolve(repo) : defaultRepositoryPath()), events.emit);
  const host = await startHeadlessHost({ port, rendererDir: rendererDir(), service, events });
  process.stdout.write(`Strata is running at ${host.url}\n(open it in a browser on this machine; Ctrl+C stops it)\n`);
  await new Promise<void>((resolvePromise) => {
    const stop = (): void => {
      // A second Ctrl+C does not wait for the clean shutdown.
      process.once('SIGINT', () => process.exit(130));
      const forced = setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS);
      forced.unref();
      // Stop taking requests, then lock: the session's watcher and syncer stop,
      // work in progress finishes and the repository is closed.
      void host
        .close()
        .then(() => service['repo.lock']())
        .catch((err: unknown) => process.stderr.write(`strata serve: shutting down: ${String(err)}\n`))
        .then(() => resolvePromise());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Worker pools and file watchers would keep an idle process alive a while.
  process.exit(process.exitCode ?? 0);
}
