// Hands the StrataClient to components, so a test can render them over a
// localClient() mock instead of a real host.

import { createContext, useContext, type ReactNode } from 'react';
import type { StrataClient } from './api-client';

const ApiContext = createContext<StrataClient | undefined>(undefined);

export function ApiProvider({ client, children }: { client: StrataClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): StrataClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi() outside <ApiProvider>');
  return client;
}
