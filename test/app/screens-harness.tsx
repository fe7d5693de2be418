// Renders a screen over a mocked partial API (localClient) with events the
// test can emit, as the screen tests need.

import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import type { StrataApi, StrataEventName, StrataEvents } from '../../src/shared/api';
import { localClient, type LocalEvents } from '../../src/renderer/api-client';
import { ApiProvider } from '../../src/renderer/api-context';

export interface TestEvents extends LocalEvents {
  emit<E extends StrataEventName>(event: E, payload: StrataEvents[E]): void;
  count(event: StrataEventName): number;
}

export function testEvents(): TestEvents {
  const listeners = new Map<StrataEventName, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) (listener as (value: typeof payload) => void)(payload);
    },
    count: (event) => listeners.get(event)?.size ?? 0,
  };
}

export function renderWithApi(ui: ReactElement, api: Partial<StrataApi>, events = testEvents()): RenderResult & { events: TestEvents } {
  const client = localClient(api, events);
  const result = render(<ApiProvider client={client}>{ui}</ApiProvider>);
  return {
    ...result,
    rerender: (next: ReactNode) => result.rerender(<ApiProvider client={client}>{next}</ApiProvider>),
    events,
  };
}
