import { nullTranslator } from '@jupyterlab/translation';
import {
  activitySpec,
  DEFAULT_CHART_THEME,
  errorsByCellSpec,
  questionsSpec
} from '../charts';
import type { ICellErrors } from '../types';

const trans = nullTranslator.load('jelai');
const theme = { ...DEFAULT_CHART_THEME, accent: '#123456', error: '#ff0000' };

// Specs are plain JSON; reading them back needs no particular shape.
const values = (spec: any) => spec.data.values;

describe('the activity plot', () => {
  it('draws nothing without activity', () => {
    expect(activitySpec([], 3600, theme, trans)).toBeNull();
  });

  it('gives each bucket a bar from its start to the next', () => {
    const spec: any = activitySpec(
      [{ start: '2024-03-01T09:00:00.000Z', events: 5, students: 2 }],
      600,
      theme,
      trans
    );
    expect(spec.$schema).toContain('vega-lite/v5');
    expect(values(spec)).toEqual([
      {
        start: '2024-03-01T09:00:00.000Z',
        end: '2024-03-01T09:10:00.000Z',
        events: 5,
        students: 2
      }
    ]);
    expect(spec.encoding.x).toMatchObject({ field: 'start', type: 'temporal' });
    expect(spec.encoding.x2).toEqual({ field: 'end' });
    expect(spec.encoding.y2).toEqual({ datum: 0 });
    expect(spec.mark).toMatchObject({ type: 'rect', color: '#123456' });
  });

  it('names active students in the tooltip only for a class', () => {
    const point = [
      { start: '2024-03-01T09:00:00.000Z', events: 5, students: 2 }
    ];
    const fields = (spec: any) =>
      spec.encoding.tooltip.map((t: any) => t.field);
    expect(fields(activitySpec(point, 3600, theme, trans))).not.toContain(
      'students'
    );
    expect(
      fields(activitySpec(point, 3600, theme, trans, { students: true }))
    ).toContain('students');
  });

  it('takes its text colours and font from the theme', () => {
    const dark = { ...theme, text: '#eeeeee', subtle: '#aaaaaa', font: 'Lato' };
    const spec: any = activitySpec(
      [{ start: '2024-03-01T09:00:00.000Z', events: 1, students: 1 }],
      3600,
      dark,
      trans
    );
    expect(spec.config.font).toBe('Lato');
    expect(spec.config.axis.titleColor).toBe('#eeeeee');
    expect(spec.config.axis.labelColor).toBe('#aaaaaa');
    expect(spec.background).toBe('transparent');
  });
});

describe('the errors by cell plot', () => {
  const cell = (
    notebook: string,
    id: string,
    failures: number,
    executions = 10
  ): ICellErrors => ({
    notebook,
    cell_id: id,
    executions,
    failures,
    students: 1
  });

  it('draws nothing when no cell failed', () => {
    expect(
      errorsByCellSpec([cell('a.ipynb', 'c1', 0)], theme, trans)
    ).toBeNull();
  });

  it('shows the cells that failed most first, up to the limit', () => {
    const spec: any = errorsByCellSpec(
      [
        cell('labs/a.ipynb', 'aaaaaaaa-1', 1),
        cell('labs/a.ipynb', 'bbbbbbbb-2', 0),
        cell('b.ipynb', 'cccccccc-3', 7),
        cell('b.ipynb', 'dddddddd-4', 3)
      ],
      theme,
      trans,
      { limit: 2 }
    );
    expect(values(spec).map((v: any) => [v.cell, v.failures])).toEqual([
      ['b.ipynb · cell cccccccc', 7],
      ['b.ipynb · cell dddddddd', 3]
    ]);
    expect(spec.encoding.y.sort).toBeNull();
    expect(spec.layer[0].encoding.color.scale.range).toEqual([
      theme.muted,
      '#ff0000'
    ]);
  });

  it('names cells with the labeller and never gives two bars one name', () => {
    const spec: any = errorsByCellSpec(
      [cell('x/a.ipynb', 'c1', 2), cell('y/a.ipynb', 'c1', 1)],
      theme,
      trans,
      { labeller: (_, id) => (id === 'c1' ? 'cell 4' : null) }
    );
    expect(values(spec).map((v: any) => v.cell)).toEqual([
      'a.ipynb · cell 4',
      'a.ipynb · cell 4 (2)'
    ]);
  });
});

describe('the questions plot', () => {
  it('draws nothing when nobody asked', () => {
    expect(
      questionsSpec(
        [{ notebook: 'a.ipynb', questions: 0, hints: 0, students: 0 }],
        theme,
        trans
      )
    ).toBeNull();
  });

  it('stacks questions and hints per notebook', () => {
    const spec: any = questionsSpec(
      [{ notebook: 'labs/a.ipynb', questions: 3, hints: 1, students: 2 }],
      theme,
      trans
    );
    expect(values(spec)).toEqual([
      { notebook: 'a.ipynb', kind: 'questions', count: 3, students: 2 },
      { notebook: 'a.ipynb', kind: 'hints', count: 1, students: 2 }
    ]);
    expect(spec.encoding.x.stack).toBe(true);
    expect(spec.encoding.color.scale.domain).toEqual(['questions', 'hints']);
  });
});
