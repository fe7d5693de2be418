// Bundles the CLI (src/cli/index.ts and the engine) into dist/strata.mjs with
// esbuild, so `npx strata` starts fast with plain Node, and the blob worker's
// entry (src/engine/workers/blob-worker.ts) into dist/blob-worker.mjs, where
// the worker pool bundled in strata.mjs looks for it (next to itself). Each
// bundle is self-contained (no shared chunks). Run by `npm install`
// (prepare), `npm run build` and `npm test`.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';

await mkdir('dist', { recursive: true });
await build({
  entryPoints: {
    strata: 'src/cli/index.ts',
    'blob-worker': 'src/engine/workers/blob-worker.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // esbuild's ESM output needs require() for CommonJS dependencies.
  banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
});
