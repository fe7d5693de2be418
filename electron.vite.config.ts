// Build of the desktop app: main (ESM, Node built-ins and electron external;
// with the blob worker's entry), preload (CommonJS: Electron's sandbox cannot
// load ESM preloads), renderer (React; the built index.html gets the app's
// CSP as a meta tag).

import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/shared/csp';

// Build only: the dev server needs inline scripts (React Refresh), so in dev
// main sends a looser dev-server policy as a header instead.
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'strata:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        // The blob worker's entry is built beside the main process, which
        // finds it as out/main/blob-worker.mjs (src/engine/workers/blob-workers.ts).
        input: { index: 'src/main/index.ts', 'blob-worker': 'src/engine/workers/blob-worker.ts' },
        output: {
          entryFileNames: (chunk) => (chunk.name === 'blob-worker' ? '[name].mjs' : '[name].js'),
          // Shared code in out/main too, not chunks/: whichever file ends up
          // holding the worker pool, the entry is next to it.
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Everything the preload uses but `electron` is inlined into one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: 'src/preload/index.ts' },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [react(), contentSecurityPolicyMeta()],
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: { index: 'src/renderer/index.html' } },
    },
  },
});
