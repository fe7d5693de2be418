// Renderer entry: picks the API transport for this host and mounts the app.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api-client';
import { ApiProvider } from './api-context';
import { App } from './App';
import './styles.css';

const client = createApiClient({ bridge: window.strata, location: window.location });
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <ApiProvider client={client}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
