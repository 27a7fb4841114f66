import type {
  IAnalytics,
  INotebookSummary,
  IStuck,
  IStudentSummary
} from '../types';

/** One notebook's metrics of a student, with the fields a test cares about. */
export function notebookRow(
  user: string,
  notebook: string | null,
  fields: Partial<INotebookSummary> = {}
): INotebookSummary {
  return {
    user,
    notebook,
    events: 10,
    first_activity: '2024-03-01T09:00:00.000Z',
    last_activity: '2024-03-01T10:00:00.000Z',
    active_seconds: 600,
    executions: 4,
    failures: 1,
    error_rate: 0.25,
    top_errors: [{ name: 'KeyError', count: 1 }],
    cells_attempted: 3,
    questions: 0,
    hints: 0,
    stuck: null,
    ...fields
  };
}

/** A student whose totals are their one notebook's metrics. */
export function student(
  user: string,
  fields: Partial<INotebookSummary> = {},
  notebook = 'lab1.ipynb'
): IStudentSummary {
  const row = notebookRow(user, notebook, fields);
  const stuck: IStudentSummary['stuck'] = row.stuck
    ? [{ notebook, ...row.stuck }]
    : [];
  return { ...row, notebook: null, stuck, notebooks: [row] };
}

/** A stuck flag on one cell. */
export function stuckOn(cell: string, failures = 3): IStuck {
  return { cell_id: cell, since: '2024-03-01T09:50:00.000Z', failures };
}

/** A summary as the server answers it. */
export function analytics(
  students: IStudentSummary[],
  fields: Partial<IAnalytics> = {}
): IAnalytics {
  return {
    user: 'ana',
    instructor: false,
    generated: '2024-03-01T10:05:00.000Z',
    options: {
      idle_seconds: 300,
      bucket_seconds: 3600,
      stuck_failures: 3,
      stuck_span_seconds: 600,
      stuck_recent_seconds: 900
    },
    students,
    series: {
      activity: [
        { start: '2024-03-01T09:00:00.000Z', events: 12, students: 1 }
      ],
      errors_by_cell: [
        {
          notebook: 'lab1.ipynb',
          cell_id: 'c1',
          executions: 4,
          failures: 1,
          students: 1
        }
      ],
      questions_by_notebook: []
    },
    unreadable: [],
    ...fields
  };
}
