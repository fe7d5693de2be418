// A course-wide view of the catalog the catalog's own hooks do not give: the
// distinct times at which the course's files changed (the point-in-time
// slider's stops). A live query over the current catalog database.

import { useLiveQuery } from 'dexie-react-hooks';
import { useCatalogDb } from '../catalog';

/** Distinct version times of a course, oldest first; undefined while loading. */
export function useCourseVersionTimes(course: string): string[] | undefined {
  const db = useCatalogDb();
  return useLiveQuery(async () => {
    if (!db || !course) return undefined;
    const times = new Set<string>();
    await db.versions
      .where('course')
      .equals(course)
      .each((version) => {
        times.add(version.time);
      });
    return [...times].sort();
  }, [db, course]);
}
