// The preload bridge, with `electron` replaced by a recording fake.

import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { StrataBridge } from '../../src/shared/bridge';
import { EVENT_CHANNEL, PICK_FOLDER_CHANNEL } from '../../src/shared/ipc';

type Listener = (...args: unknown[]) => void;

const fake = vi.hoisted(() => {
  const listeners = new Map<string, Set<Listener>>();
  return {
    listeners,
    electron: {
      contextBridge: { exposeInMainWorld: vi.fn() },
      ipcRenderer: {
        invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => ({ result: null })),
        on: vi.fn((channel: string, listener: Listener) => {
          if (!listeners.has(channel)) listeners.set(channel, new Set());
          listeners.get(channel)?.add(listener);
        }),
        removeListener: vi.fn((channel: string, listener: Listener) => listeners.get(channel)?.delete(listener)),
      },
    },
  };
});

vi.mock('electron', () => fake.electron);

let strata: StrataBridge;

beforeAll(async () => {
  await import('../../src/preload/index');
  const calls = fake.electron.contextBridge.exposeInMainWorld.mock.calls;
  expect(calls).toHaveLength(1);
  expect(calls[0]?.[0]).toBe('strata');
  strata = calls[0]?.[1] as StrataBridge;
});

describe('preload', () => {
  it("exposes only invoke, on and pickFolder as 'strata'", () => {
    expect(Object.keys(strata).sort()).toEqual(['invoke', 'on', 'pickFolder']);
  });

  it('asks main for the folder picker on its own channel, passing nothing from the page', async () => {
    fake.electron.ipcRenderer.invoke.mockResolvedValueOnce('/home/ada/Courses/physics');
    await expect(strata.pickFolder?.()).resolves.toBe('/home/ada/Courses/physics');
    expect(fake.electron.ipcRenderer.invoke).toHaveBeenLastCalledWith(PICK_FOLDER_CHANNEL);
    // Cancelled (main answers null), or anything unexpected: no folder.
    fake.electron.ipcRenderer.invoke.mockResolvedValueOnce(null);
    await expect(strata.pickFolder?.()).resolves.toBeUndefined();
    fake.electron.ipcRenderer.invoke.mockResolvedValueOnce({ path: '/x' });
    await expect(strata.pickFolder?.()).resolves.toBeUndefined();
  });

  it("maps invoke(method, args) to ipcRenderer.invoke('strata:<method>', args)", async () => {
    fake.electron.ipcRenderer.invoke.mockResolvedValueOnce({ result: { engine: '9.9.9' } });
    await expect(strata.invoke('app.version')).resolves.toEqual({ engine: '9.9.9' });
    expect(fake.electron.ipcRenderer.invoke).toHaveBeenLastCalledWith('strata:app.version');

    const result = { snapshot: 's1', files: 1, bytes: 2 };
    fake.electron.ipcRenderer.invoke.mockResolvedValueOnce({ result });
    await expect(strata.invoke('folders.backup', { path: '/c' })).resolves.toEqual(result);
    expect(fake.electron.ipcRenderer.invoke).toHaveBeenLastCalledWith('strata:folders.backup', { path: '/c' });
  });

  it('rejects with the plain ApiError main sent back', async () => {
    const error = { code: 'LOCKED', message: 'Unlock first.' };
    fake.electron.ipcRenderer.invoke.mockResolvedValueOnce({ error });
    await expect(strata.invoke('folders.backup', { path: '/c' })).rejects.toEqual(error);
  });

  it('refuses names outside the contract without touching IPC', async () => {
    fake.electron.ipcRenderer.invoke.mockClear();
    const invoke = strata.invoke as (method: string) => Promise<unknown>;
    await expect(invoke('../../secret')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fake.electron.ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('delivers the events a listener asked for until it stops listening', () => {
    const received: unknown[] = [];
    const stop = strata.on('repo.changed', (status) => received.push(status));
    const status = { state: 'locked', path: '/r', defaultPath: '/r' };
    for (const listener of fake.listeners.get(EVENT_CHANNEL) ?? []) {
      listener({}, { name: 'backup.progress', payload: { phase: 'started', path: '/c' } });
      listener({}, { name: 'repo.changed', payload: status });
    }
    expect(received).toEqual([status]);
    stop();
    expect(fake.listeners.get(EVENT_CHANNEL)?.size).toBe(0);
  });
});
