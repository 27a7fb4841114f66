import { DEFAULT_SORT, nextSort, sortStudents } from '../sort';
import { student, stuckOn } from './fixtures';

const users = (rows: { user: string }[]) => rows.map(row => row.user);

describe('sorting the class table', () => {
  const class3 = [
    student('carl', { executions: 9, last_activity: null }),
    student('ana', { executions: 2, stuck: stuckOn('c1') }),
    student('Bea', { executions: 9, last_activity: '2024-03-01T11:00:00.000Z' })
  ];

  it('puts stuck students on top by default, the rest by name', () => {
    expect(users(sortStudents(class3, DEFAULT_SORT))).toEqual([
      'ana',
      'Bea',
      'carl'
    ]);
  });

  it('sorts by a number, ties by name, and flips on a second click', () => {
    const most = nextSort(DEFAULT_SORT, 'executions');
    expect(most).toEqual({ key: 'executions', descending: true });
    expect(users(sortStudents(class3, most))).toEqual(['Bea', 'carl', 'ana']);
    const least = nextSort(most, 'executions');
    expect(users(sortStudents(class3, least))).toEqual(['ana', 'Bea', 'carl']);
  });

  it('sorts names A to Z first, ignoring case', () => {
    const byName = nextSort(DEFAULT_SORT, 'user');
    expect(byName.descending).toBe(false);
    expect(users(sortStudents(class3, byName))).toEqual(['ana', 'Bea', 'carl']);
  });

  it('keeps students without a last activity last either way', () => {
    const latest = nextSort(DEFAULT_SORT, 'last_activity');
    expect(users(sortStudents(class3, latest))).toEqual(['Bea', 'ana', 'carl']);
    const earliest = nextSort(latest, 'last_activity');
    expect(users(sortStudents(class3, earliest))).toEqual([
      'ana',
      'Bea',
      'carl'
    ]);
  });

  it('does not reorder the rows it was given', () => {
    sortStudents(class3, DEFAULT_SORT);
    expect(users(class3)).toEqual(['carl', 'ana', 'Bea']);
  });
});
