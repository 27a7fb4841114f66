import type { IStudentSummary } from './types';

/**
 * The class table's sortable columns.
 */
export type SortKey =
  | 'user'
  | 'stuck'
  | 'active_seconds'
  | 'executions'
  | 'failures'
  | 'error_rate'
  | 'cells_attempted'
  | 'questions'
  | 'hints'
  | 'last_activity';

/**
 * How the class table is sorted.
 */
export interface ISort {
  key: SortKey;
  descending: boolean;
}

/**
 * Stuck students first, then by name: who needs help is on top.
 */
export const DEFAULT_SORT: ISort = { key: 'stuck', descending: true };

/**
 * The sort after a click on a column's header: the same column flips its
 * direction; another column starts with names A to Z and numbers and times
 * largest (latest) first.
 */
export function nextSort(current: ISort, key: SortKey): ISort {
  if (current.key === key) {
    return { key, descending: !current.descending };
  }
  return { key, descending: key !== 'user' };
}

/**
 * The students sorted by a column; ties (and students without a value, last
 * in either direction) in name order, so a refresh keeps rows in place.
 */
export function sortStudents(
  students: readonly IStudentSummary[],
  sort: ISort
): IStudentSummary[] {
  const sign = sort.descending ? -1 : 1;
  return [...students].sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    if (x === null || y === null) {
      if (x !== y) {
        return x === null ? 1 : -1;
      }
    } else if (x !== y) {
      return x < y ? -sign : sign;
    }
    return Private.byName(a.user, b.user);
  });
}

/**
 * The value a student is sorted by in a column; null when they have none.
 */
export function sortValue(
  student: IStudentSummary,
  key: SortKey
): number | string | null {
  switch (key) {
    case 'stuck':
      return student.stuck.length;
    case 'last_activity':
      // ISO times in one spelling sort as text.
      return student.last_activity;
    case 'user':
      return student.user.toLocaleLowerCase();
    default:
      return student[key];
  }
}

namespace Private {
  export function byName(a: string, b: string): number {
    return (
      a.localeCompare(b, undefined, { sensitivity: 'base' }) ||
      (a < b ? -1 : a > b ? 1 : 0)
    );
  }
}
