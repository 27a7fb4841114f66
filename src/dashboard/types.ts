/**
 * The answers of `GET /jelai/analytics` and `GET /jelai/analytics/class`
 * (see docs/analytics.md for what each number means).
 */

/** An error name and how often a student's failed runs raised it. */
export interface IErrorCount {
  name: string;
  count: number;
}

/** Where a student is stuck in one notebook (the documented stuck rule). */
export interface IStuck {
  cell_id: string | null;
  /** ISO time of the first of the failures in a row. */
  since: string;
  failures: number;
}

/** The metrics every summary row shares (a notebook, or a student's totals). */
export interface IMetrics {
  user: string;
  /** The notebook; null for a student's totals or events outside a notebook. */
  notebook: string | null;
  events: number;
  first_activity: string | null;
  last_activity: string | null;
  active_seconds: number;
  executions: number;
  failures: number;
  error_rate: number;
  top_errors: IErrorCount[];
  cells_attempted: number;
  questions: number;
  hints: number;
}

/** One student's metrics in one notebook. */
export interface INotebookSummary extends IMetrics {
  stuck: IStuck | null;
}

/** One student's totals, the notebooks they are stuck in and each notebook. */
export interface IStudentSummary extends IMetrics {
  stuck: Array<IStuck & { notebook: string | null }>;
  notebooks: INotebookSummary[];
}

/** Events and active students in one time bucket. */
export interface IActivityPoint {
  start: string;
  events: number;
  students: number;
}

/** Runs and failures of one cell. */
export interface ICellErrors {
  notebook: string | null;
  cell_id: string | null;
  executions: number;
  failures: number;
  students: number;
}

/** Chat questions and hint requests in one notebook. */
export interface INotebookQuestions {
  notebook: string | null;
  questions: number;
  hints: number;
  students: number;
}

/** The series the dashboard's plots draw. */
export interface ISeries {
  activity: IActivityPoint[];
  errors_by_cell: ICellErrors[];
  questions_by_notebook: INotebookQuestions[];
}

/** A summary as the server answers it. */
export interface IAnalytics {
  /** Who asked. */
  user: string;
  /** Whether who asked may see the class. */
  instructor: boolean;
  generated: string;
  options: {
    idle_seconds: number;
    bucket_seconds: number;
    stuck_failures: number;
    stuck_span_seconds: number;
    stuck_recent_seconds: number;
  };
  students: IStudentSummary[];
  series: ISeries;
  /** Stores (students) that could not be read. */
  unreadable: string[];
}
