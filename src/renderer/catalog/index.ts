// The offline catalog's public surface: what screens import.

export { CatalogProvider, type CatalogProviderProps } from './CatalogProvider';
export {
  useActivity,
  useCatalog,
  useCatalogRefresh,
  useCatalogStatus,
  useCourses,
  useFiles,
  useFileVersions,
  useVersionCount,
} from './hooks';
export type { CatalogState, CatalogStatus } from './feed';
export { catalogDatabases, type CatalogDatabases } from './db';
export { courseVersionTimes } from './queries';
export type { CatalogStore } from './store';
