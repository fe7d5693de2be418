// The course a history screen is about: a labelled select over the catalog's
// courses. The choice can be owned by the shell (shared between screens) or by
// the screen itself.

import { useEffect, useId, useState, type ReactNode } from 'react';
import type { Course } from '../../shared/api';

export interface CourseChoice {
  course?: string | undefined;
  onCourseChange?: ((course: string) => void) | undefined;
}

/** The selected course id: the shell's if it passes one, else local; defaults to the first course. */
export function useCourseChoice(courses: Course[] | undefined, choice: CourseChoice): [string | undefined, (id: string) => void] {
  const [local, setLocal] = useState<string>();
  const controlled = choice.onCourseChange !== undefined;
  const wanted = controlled ? choice.course : local;
  const selected = courses?.some((course) => course.id === wanted) ? wanted : courses?.[0]?.id;
  const onCourseChange = choice.onCourseChange;

  // Tell the owner when the default (or a replacement for a removed course) was picked.
  useEffect(() => {
    if (selected !== undefined && selected !== wanted && onCourseChange) onCourseChange(selected);
  }, [selected, wanted, onCourseChange]);

  return [selected, controlled && onCourseChange ? onCourseChange : setLocal];
}

export function CoursePicker({
  courses,
  value,
  onChange,
}: {
  courses: Course[];
  value: string | undefined;
  onChange(id: string): void;
}) {
  const id = useId();
  return (
    <div className="field field-inline">
      <label htmlFor={id}>Course</label>
      <select id={id} value={value ?? ''} onChange={(event) => onChange(event.target.value)}>
        {courses.map((course) => (
          <option key={course.id} value={course.id}>
            {course.name}
            {course.state === 'archived' ? ' (archived)' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * What a course-based screen shows before it has a course to show: loading,
 * a catalog error, or the empty state; undefined once there are courses.
 */
export function noCoursesState(courses: Course[] | undefined, catalog: { state: string; error?: string }): ReactNode | undefined {
  if (courses !== undefined && courses.length > 0) return undefined;
  if (catalog.error) return <CatalogError message={catalog.error} />;
  if (courses === undefined || catalog.state === 'loading') {
    return (
      <p className="status" role="status">
        Loading courses…
      </p>
    );
  }
  return <p className="empty">No courses yet — add a course folder on the Courses screen.</p>;
}

export function CatalogError({ message }: { message: string }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>History could not be loaded.</strong> {message}
    </div>
  );
}
