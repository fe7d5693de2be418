// The React context CatalogProvider fills and the hooks read: the running
// feed (null while no repository is unlocked).

import { createContext } from 'react';
import type { CatalogFeed } from './feed';

/** undefined: no <CatalogProvider> above; null: no feed (locked, or not known yet). */
export const CatalogContext = createContext<CatalogFeed | null | undefined>(undefined);
