import type { TranslationBundle } from '@jupyterlab/translation';
import {
  CellLabeller,
  cellName,
  formatDuration,
  formatErrors,
  formatPercent,
  formatTime,
  notebookName
} from './format';
import { ISort, SortKey } from './sort';
import type { IMetrics, IStuck, IStudentSummary } from './types';

/**
 * The class table: one row per student, stuck students marked, each
 * sortable column's header a button carrying `data-sort-key`.
 */
export function classTable(
  rows: readonly IStudentSummary[],
  sort: ISort,
  trans: TranslationBundle,
  labeller?: CellLabeller | null
): HTMLTableElement {
  const columns: Private.IColumn<IStudentSummary>[] = [
    { key: 'user', label: trans.__('Student'), cell: s => s.user },
    {
      key: 'stuck',
      label: trans.__('Stuck'),
      cell: s =>
        s.stuck
          .map(stuck => stuckText(stuck.notebook, stuck, trans, labeller))
          .join('; ') || '—'
    },
    ...Private.metricColumns<IStudentSummary>(trans)
  ];
  const table = Private.table(columns, rows, sort);
  table.classList.add('jp-jelai-Dashboard-classTable');
  table.tBodies[0].querySelectorAll('tr').forEach((tr, index) => {
    const student = rows[index];
    tr.dataset.user = student.user;
    tr.classList.toggle('jp-mod-stuck', student.stuck.length > 0);
  });
  return table;
}

/**
 * A student's own table: one row per notebook they worked in.
 */
export function notebookTable(
  student: IStudentSummary,
  trans: TranslationBundle
): HTMLTableElement {
  const columns: Private.IColumn<IMetrics>[] = [
    {
      key: null,
      label: trans.__('Notebook'),
      cell: row => notebookName(row.notebook, trans),
      title: row => row.notebook ?? ''
    },
    ...Private.metricColumns<IMetrics>(trans)
  ];
  const table = Private.table(columns, student.notebooks, null);
  table.classList.add('jp-jelai-Dashboard-notebookTable');
  table.tBodies[0].querySelectorAll('tr').forEach((tr, index) => {
    const row = student.notebooks[index];
    tr.dataset.notebook = row.notebook ?? '';
    tr.classList.toggle('jp-mod-stuck', row.stuck !== null);
  });
  return table;
}

/**
 * Where a student is stuck, in one line: "lab3.ipynb, cell 3: 4 failed runs since 10:02".
 */
export function stuckText(
  notebook: string | null,
  stuck: IStuck,
  trans: TranslationBundle,
  labeller?: CellLabeller | null
): string {
  return trans.__(
    '%1, %2: %3 failed runs since %4',
    notebookName(notebook, trans),
    cellName(notebook, stuck.cell_id, trans, labeller),
    stuck.failures,
    formatTime(stuck.since)
  );
}

namespace Private {
  /** One column: its sort key (null: not sortable), header and content. */
  export interface IColumn<T> {
    key: SortKey | null;
    label: string;
    cell: (row: T) => string;
    title?: (row: T) => string;
    numeric?: boolean;
  }

  /** The metric columns shared by the class and the student tables. */
  export function metricColumns<T extends IMetrics>(
    trans: TranslationBundle
  ): IColumn<T>[] {
    const count = (key: SortKey & keyof IMetrics, label: string) => ({
      key,
      label,
      numeric: true,
      cell: (row: T) => String(row[key])
    });
    return [
      {
        key: 'active_seconds',
        label: trans.__('Active time'),
        numeric: true,
        cell: row => formatDuration(row.active_seconds, trans)
      },
      count('executions', trans.__('Runs')),
      count('failures', trans.__('Errors')),
      {
        key: 'error_rate',
        label: trans.__('Error rate'),
        numeric: true,
        cell: row => formatPercent(row.error_rate)
      },
      {
        key: null,
        label: trans.__('Frequent errors'),
        cell: row => formatErrors(row.top_errors) || '—'
      },
      count('cells_attempted', trans.__('Cells tried')),
      count('questions', trans.__('Questions')),
      count('hints', trans.__('Hints')),
      {
        key: 'last_activity',
        label: trans.__('Last activity'),
        cell: row => formatTime(row.last_activity),
        title: row => row.last_activity ?? ''
      }
    ];
  }

  export function table<T>(
    columns: IColumn<T>[],
    rows: readonly T[],
    sort: ISort | null
  ): HTMLTableElement {
    const table = document.createElement('table');
    table.className = 'jp-jelai-Dashboard-table';
    const head = table.createTHead().insertRow();
    for (const column of columns) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.classList.toggle('jp-mod-numeric', !!column.numeric);
      if (sort && column.key) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'jp-jelai-Dashboard-sort';
        button.dataset.sortKey = column.key;
        button.textContent = column.label;
        const sorted = sort.key === column.key;
        th.setAttribute(
          'aria-sort',
          sorted ? (sort.descending ? 'descending' : 'ascending') : 'none'
        );
        th.append(button);
      } else {
        th.textContent = column.label;
      }
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const column of columns) {
        const td = tr.insertCell();
        td.textContent = column.cell(row);
        td.classList.toggle('jp-mod-numeric', !!column.numeric);
        const title = column.title?.(row);
        if (title) {
          td.title = title;
        }
      }
    }
    return table;
  }
}
