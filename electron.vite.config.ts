// Build of the desktop app: main (ESM, Node built-ins and electron external),
// preload (CommonJS: Electron's sandbox cannot load ESM preloads), renderer
// (React; the built index.html gets the app's CSP as a meta tag).

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
      rolldownOptions: { input: { index: 'src/main/index.ts' } },
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
