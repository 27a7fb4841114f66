import type { TranslationBundle } from '@jupyterlab/translation';
import type { JSONObject } from '@lumino/coreutils';
import { cellName, CellLabeller, notebookName } from './format';
import type { IActivityPoint, ICellErrors, INotebookQuestions } from './types';

/**
 * The mime type the charts are rendered as (JupyterLab's Vega 5 renderer
 * draws Vega-Lite 3 to 5; the one shipped with JupyterLab 4.6 is 5.6).
 */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/**
 * The colours and font of the charts, read from the JupyterLab theme.
 */
export interface IChartTheme {
  /** Titles and legend text. */
  text: string;
  /** Axis labels. */
  subtle: string;
  /** Grid lines and axis domains. */
  grid: string;
  /** The main series. */
  accent: string;
  /** A second series beside the main one. */
  second: string;
  /** Failures. */
  error: string;
  /** Background of secondary bars (all runs behind the failed ones). */
  muted: string;
  /** The page behind the plot, to part neighbouring bars. */
  background: string;
  font: string;
}

/**
 * JupyterLab's light theme colours, for when the theme cannot be read.
 */
export const DEFAULT_CHART_THEME: IChartTheme = {
  text: 'rgba(0, 0, 0, 0.87)',
  subtle: 'rgba(0, 0, 0, 0.54)',
  grid: '#e0e0e0',
  accent: '#1976d2',
  second: '#f57c00',
  error: '#d32f2f',
  muted: '#bdbdbd',
  background: '#ffffff',
  font: 'system-ui, sans-serif'
};

/**
 * Events per time bucket as bars over time; null when there is no activity.
 * With `students`, the tooltip also gives how many students were active.
 */
export function activitySpec(
  points: readonly IActivityPoint[],
  bucketSeconds: number,
  theme: IChartTheme,
  trans: TranslationBundle,
  options: { students?: boolean } = {}
): JSONObject | null {
  if (!points.length) {
    return null;
  }
  const values = points.map(point => ({
    start: point.start,
    end: new Date(Date.parse(point.start) + bucketSeconds * 1000).toISOString(),
    events: point.events,
    students: point.students
  }));
  const tooltip: JSONObject[] = [
    {
      field: 'start',
      type: 'temporal',
      title: trans.__('From'),
      timeUnit: 'yearmonthdatehoursminutes'
    },
    { field: 'events', type: 'quantitative', title: trans.__('Events') }
  ];
  if (options.students) {
    tooltip.push({
      field: 'students',
      type: 'quantitative',
      title: trans.__('Active students')
    });
  }
  return Private.chart(theme, {
    description: trans.__('Recorded events over time'),
    data: { values },
    // A rectangle per bucket, from its start to its end and from 0 up.
    mark: { type: 'rect', color: theme.accent, stroke: theme.background },
    encoding: {
      x: { field: 'start', type: 'temporal', title: null },
      x2: { field: 'end' },
      y: {
        field: 'events',
        type: 'quantitative',
        title: trans.__('Events'),
        axis: Private.COUNT_AXIS
      },
      y2: { datum: 0 },
      tooltip
    }
  });
}

/**
 * The cells that failed most, their failed runs over all their runs; null
 * when no cell failed.
 */
export function errorsByCellSpec(
  cells: readonly ICellErrors[],
  theme: IChartTheme,
  trans: TranslationBundle,
  options: { labeller?: CellLabeller | null; limit?: number } = {}
): JSONObject | null {
  const failing = cells
    .filter(cell => cell.failures > 0)
    .sort((a, b) => b.failures - a.failures || b.executions - a.executions)
    .slice(0, options.limit ?? 12);
  if (!failing.length) {
    return null;
  }
  const labels = Private.unique(
    failing.map(
      cell =>
        `${notebookName(cell.notebook, trans)} · ${cellName(cell.notebook, cell.cell_id, trans, options.labeller)}`
    )
  );
  const values = failing.map((cell, index) => ({
    cell: labels[index],
    executions: cell.executions,
    failures: cell.failures,
    students: cell.students
  }));
  const runs = trans.__('runs');
  const failed = trans.__('failed');
  const y = { field: 'cell', type: 'nominal', title: null, sort: null };
  const tooltip = [
    { field: 'cell', type: 'nominal', title: trans.__('Cell') },
    { field: 'failures', type: 'quantitative', title: trans.__('Failed runs') },
    { field: 'executions', type: 'quantitative', title: trans.__('Runs') },
    { field: 'students', type: 'quantitative', title: trans.__('Students') }
  ];
  const color = {
    scale: { domain: [runs, failed], range: [theme.muted, theme.error] },
    legend: { title: null }
  };
  return Private.chart(theme, {
    description: trans.__('Failed runs per cell'),
    height: { step: 18 },
    data: { values },
    encoding: { y, tooltip },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: {
            field: 'executions',
            type: 'quantitative',
            title: trans.__('Runs'),
            axis: Private.COUNT_AXIS
          },
          color: { datum: runs, ...color }
        }
      },
      {
        mark: 'bar',
        encoding: {
          x: { field: 'failures', type: 'quantitative' },
          color: { datum: failed }
        }
      }
    ]
  });
}

/**
 * Tutor questions and hint requests per notebook, stacked; null when nobody
 * asked.
 */
export function questionsSpec(
  rows: readonly INotebookQuestions[],
  theme: IChartTheme,
  trans: TranslationBundle
): JSONObject | null {
  const asked = rows.filter(row => row.questions + row.hints > 0);
  if (!asked.length) {
    return null;
  }
  const questions = trans.__('questions');
  const hints = trans.__('hints');
  const names = Private.unique(
    asked.map(row => notebookName(row.notebook, trans))
  );
  const values = asked.flatMap((row, index) => [
    {
      notebook: names[index],
      kind: questions,
      count: row.questions,
      students: row.students
    },
    {
      notebook: names[index],
      kind: hints,
      count: row.hints,
      students: row.students
    }
  ]);
  return Private.chart(theme, {
    description: trans.__('Tutor questions and hints per notebook'),
    height: { step: 22 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'notebook', type: 'nominal', title: null },
      x: {
        field: 'count',
        type: 'quantitative',
        stack: true,
        title: trans.__('Requests'),
        axis: Private.COUNT_AXIS
      },
      color: {
        field: 'kind',
        type: 'nominal',
        scale: {
          domain: [questions, hints],
          range: [theme.accent, theme.second]
        },
        legend: { title: null }
      },
      tooltip: [
        { field: 'notebook', type: 'nominal', title: trans.__('Notebook') },
        { field: 'kind', type: 'nominal', title: trans.__('Kind') },
        { field: 'count', type: 'quantitative', title: trans.__('Count') },
        {
          field: 'students',
          type: 'quantitative',
          title: trans.__('Students who asked')
        }
      ]
    }
  });
}

namespace Private {
  /** Counts are whole numbers: no ticks between them. */
  export const COUNT_AXIS = { tickMinStep: 1, format: 'd' };

  /** A Vega-Lite spec with the dashboard's size and the theme's look. */
  export function chart(theme: IChartTheme, spec: JSONObject): JSONObject {
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 360,
      height: 180,
      background: 'transparent',
      ...spec,
      config: {
        font: theme.font,
        view: { stroke: null },
        axis: {
          labelColor: theme.subtle,
          titleColor: theme.text,
          titleFontWeight: 'normal',
          gridColor: theme.grid,
          domainColor: theme.grid,
          tickColor: theme.grid,
          labelLimit: 180
        },
        legend: { labelColor: theme.text, orient: 'bottom' }
      }
    };
  }

  /** Labels made distinct, so two bars never share one: "x", "x (2)". */
  export function unique(labels: string[]): string[] {
    const seen = new Map<string, number>();
    return labels.map(label => {
      const count = (seen.get(label) ?? 0) + 1;
      seen.set(label, count);
      return count === 1 ? label : `${label} (${count})`;
    });
  }
}
