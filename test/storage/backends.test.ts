// Runs the one conformance suite against every backend and wrapper stack.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaultInjectingBackend } from '../../src/engine/storage/faults';
import { LocalBackend } from '../../src/engine/storage/local';
import { MemoryBackend } from '../../src/engine/storage/memory';
import { RetryingBackend } from '../../src/engine/storage/retry';
import { ThrottledBackend } from '../../src/engine/storage/throttle';
import { TieredBackend } from '../../src/engine/storage/tiered';
import { describeBackendConformance } from './conformance';

const noCleanup = async (): Promise<void> => {};
const noDelay = async (): Promise<void> => {};

describeBackendConformance('MemoryBackend', async () => ({ backend: new MemoryBackend(), cleanup: noCleanup }));

describeBackendConformance('LocalBackend', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-local-'));
  // A root that does not exist yet: the first put must create it.
  return { backend: new LocalBackend(path.join(dir, 'repo')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describeBackendConformance('RetryingBackend(MemoryBackend)', async () => ({
  backend: new RetryingBackend(new MemoryBackend(), { sleep: noDelay }),
  cleanup: noCleanup,
}));

describeBackendConformance('ThrottledBackend(MemoryBackend)', async () => ({
  // Small concurrency so the concurrent tests queue; a fake sleep exercises the bandwidth path without waiting.
  backend: new ThrottledBackend(new MemoryBackend(), { concurrency: 2, bytesPerSecond: 1_000_000, sleep: noDelay }),
  cleanup: noCleanup,
}));

describeBackendConformance('RetryingBackend(FaultInjectingBackend(MemoryBackend, 30% failures))', async () => {
  const faulty = new FaultInjectingBackend(new MemoryBackend(), { seed: 20240607, failureRate: 0.3 });
  // 12 attempts: at a 30% failure rate one operation fails them all with p = 0.3^12 ≈ 5e-7,
  // so the suite's few hundred operations get through (and the seed makes it repeatable).
  return { backend: new RetryingBackend(faulty, { attempts: 12, sleep: noDelay }), cleanup: noCleanup };
});

describeBackendConformance('TieredBackend(MemoryBackend, MemoryBackend)', async () => ({
  backend: new TieredBackend(new MemoryBackend('memory:hot'), new MemoryBackend('memory:cold')),
  cleanup: noCleanup,
}));
