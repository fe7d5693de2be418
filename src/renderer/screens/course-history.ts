// A course-wide view of the catalog the catalog's own hooks do not give: the
// distinct times at which the course's files changed (the point-in-time
// slider's stops). A live query over the current catalog.

import { useLiveQuery } from 'dexie-react-hooks';
import { courseVersionTimes, useCatalog } from '../catalog';

/** Distinct version times of a course, oldest first; undefined while loading. */
export function useCourseVersionTimes(course: string): string[] | undefined {
  const catalog = useCatalog();
  return useLiveQuery(() => (catalog && course ? courseVersionTimes(catalog, course) : undefined), [catalog, course]);
}
