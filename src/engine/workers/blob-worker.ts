// The blob worker's entry: the module each worker thread of the pool in
// blob-workers.ts runs. It only wires messages to runJob() (blob-jobs.ts),
// which uses the same crypto and compression modules as the main thread.
// Built as its own entry next to the code that starts it: dist/blob-worker.mjs
// (scripts/build-cli.mjs) and out/main/blob-worker.mjs (electron.vite.config.ts);
// from sources (vitest, tsx) the pool has esbuild bundle this file and what it
// imports in memory, once per process, and runs that bundle.

import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './blob-jobs';

const port = parentPort;
if (!port) throw new Error('blob-worker.ts runs in a worker thread of the blob worker pool (workers/blob-workers.ts)');
port.on('message', (job: Job) => {
  const { reply, transfer } = runJob(job);
  port.postMessage(reply, transfer);
});
