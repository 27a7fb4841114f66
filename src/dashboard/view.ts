import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';
import { ChartView } from './chart';
import {
  activitySpec,
  DEFAULT_CHART_THEME,
  errorsByCellSpec,
  IChartTheme,
  questionsSpec
} from './charts';
import { CellLabeller, formatDuration, formatTime } from './format';
import { DashboardModel } from './model';
import type { SortKey } from './sort';
import { classTable, notebookTable, stuckText } from './tables';
import type { IAnalytics } from './types';

/**
 * The dashboard's body, drawn from its model: a status line, the reader's
 * own activity or the class table, and the plots.
 */
export class DashboardView extends Panel {
  constructor(options: DashboardView.IOptions) {
    super();
    this.addClass('jp-jelai-Dashboard-body');
    this._model = options.model;
    this._labeller = options.labeller ?? null;
    this._trans = (options.translator ?? nullTranslator).load('jelai');
    const trans = this._trans;
    this._status = Private.part('status');
    this._status.node.setAttribute('aria-live', 'polite');
    this._error = Private.part('error');
    this._error.node.setAttribute('role', 'alert');
    this._content = Private.part('content');
    this._content.node.addEventListener('click', this);
    const charts = new Panel();
    charts.addClass('jp-jelai-Dashboard-charts');
    const chart = (name: string, title: string) =>
      new ChartView({ name, title, rendermime: options.rendermime });
    this._charts = {
      activity: chart('activity', trans.__('Activity over time')),
      errors: chart('errors', trans.__('Errors by cell')),
      questions: chart('questions', trans.__('Tutor questions per notebook'))
    };
    Object.values(this._charts).forEach(view => charts.addWidget(view));
    [this._status, this._error, this._content, charts].forEach(part =>
      this.addWidget(part)
    );
    this._model.changed.connect(this._onChanged, this);
    this._onChanged();
  }

  /** Sorts the class table when a column header is clicked. */
  handleEvent(event: Event): void {
    const target = event.target as HTMLElement | null;
    const button = target?.closest<HTMLElement>('[data-sort-key]');
    if (event.type === 'click' && button?.dataset.sortKey) {
      this._model.sortBy(button.dataset.sortKey as SortKey);
    }
  }

  /** Draws the plots again in the current theme's colours. */
  themeChanged(): void {
    Object.values(this._charts).forEach(view => view.forget());
    this._drawCharts();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._content.node.removeEventListener('click', this);
    this._model.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  private _onChanged(): void {
    this._showStatus();
    const model = this._model;
    const shown = [model.own, model.classSummary, model.sort, model.view];
    // Loading states change only the status line; the data, the rest.
    if (shown.every((part, i) => part === this._shown[i])) {
      return;
    }
    this._shown = shown;
    this.node.dataset.view = model.own ? model.view : '';
    this._content.node.replaceChildren(
      ...(model.view === 'class' ? this._classParts() : this._ownParts())
    );
    this._drawCharts();
  }

  private _showStatus(): void {
    const { state, error, updated, interval } = this._model;
    const trans = this._trans;
    this._status.node.textContent =
      state === 'loading' && !updated
        ? trans.__('Loading…')
        : updated
          ? trans.__(
              'Updated %1; refreshed every %2 while shown.',
              formatTime(updated.toISOString()),
              formatDuration(interval, trans)
            )
          : '';
    this._error.node.textContent = error
      ? error.status
        ? trans.__(
            'The server answered with an error (%1): %2',
            error.status,
            error.message
          )
        : trans.__('The server cannot be reached: %1', error.message)
      : '';
    this._error.setHidden(!error);
  }

  private _ownParts(): HTMLElement[] {
    const trans = this._trans;
    const own = this._model.own;
    if (!own) {
      return [];
    }
    const parts = [Private.element('h2', 'heading', trans.__('Your activity'))];
    const classError = this._model.classError;
    if (classError) {
      parts.push(
        Private.element(
          'p',
          'note',
          trans.__('The class cannot be shown: %1', classError.message)
        )
      );
    }
    const me = own.students[0];
    if (!me) {
      parts.push(
        Private.element(
          'p',
          'empty',
          trans.__(
            'Nothing recorded yet. Work in a notebook and your activity shows up here.'
          )
        )
      );
      return parts;
    }
    parts.push(
      Private.element(
        'p',
        'summary',
        trans.__(
          '%1 active, %2 runs, %3 errors, %4 questions to the tutor, %5 hints.',
          formatDuration(me.active_seconds, trans),
          me.executions,
          me.failures,
          me.questions,
          me.hints
        )
      )
    );
    for (const stuck of me.stuck) {
      const where = stuckText(stuck.notebook, stuck, trans, this._labeller);
      parts.push(
        Private.element(
          'p',
          'stuckNote',
          trans.__(
            'The same cell keeps failing (%1). Reading the error once more, trying a smaller step, or asking the tutor for a hint often helps.',
            where
          )
        )
      );
    }
    parts.push(notebookTable(me, trans));
    return parts;
  }

  private _classParts(): HTMLElement[] {
    const trans = this._trans;
    const summary = this._model.classSummary as IAnalytics;
    const rows = this._model.rows;
    const stuck = rows.filter(row => row.stuck.length > 0).length;
    const parts = [
      Private.element('h2', 'heading', trans.__('Class')),
      Private.element(
        'p',
        'summary',
        [
          trans._n(
            '%1 student with activity',
            '%1 students with activity',
            rows.length
          ),
          trans._n('%1 stuck', '%1 stuck', stuck)
        ].join(', ')
      )
    ];
    if (summary.unreadable.length) {
      parts.push(
        Private.element(
          'p',
          'note',
          trans.__(
            'The data of these students could not be read: %1',
            summary.unreadable.join(', ')
          )
        )
      );
    }
    parts.push(classTable(rows, this._model.sort, trans, this._labeller));
    return parts;
  }

  private _drawCharts(): void {
    const model = this._model;
    const summary = model.view === 'class' ? model.classSummary : model.own;
    if (!summary) {
      return;
    }
    const trans = this._trans;
    const theme = Private.theme(this.node);
    const { series, options } = summary;
    const none = trans.__('Nothing to plot yet.');
    const unavailable = trans.__(
      'This JupyterLab cannot draw Vega-Lite plots.'
    );
    this._charts.activity.draw(
      activitySpec(series.activity, options.bucket_seconds, theme, trans, {
        students: model.view === 'class'
      }),
      none,
      unavailable
    );
    this._charts.errors.draw(
      errorsByCellSpec(series.errors_by_cell, theme, trans, {
        labeller: this._labeller
      }),
      trans.__('No cell has failed.'),
      unavailable
    );
    this._charts.questions.draw(
      questionsSpec(series.questions_by_notebook, theme, trans),
      trans.__('No questions to the tutor yet.'),
      unavailable
    );
  }

  private _model: DashboardModel;
  private _labeller: CellLabeller | null;
  private _trans: TranslationBundle;
  private _status: Widget;
  private _error: Widget;
  private _content: Widget;
  private _charts: Record<'activity' | 'errors' | 'questions', ChartView>;
  private _shown: unknown[] = [];
}

/**
 * Options of the dashboard's body.
 */
export namespace DashboardView {
  /** The model it draws and what draws the plots. */
  export interface IOptions {
    model: DashboardModel;
    rendermime: IRenderMimeRegistry;
    translator?: ITranslator | null;
    /** Names cells for people (their position in an open notebook). */
    labeller?: CellLabeller | null;
  }
}

namespace Private {
  export function part(name: string): Widget {
    const widget = new Widget();
    widget.addClass(`jp-jelai-Dashboard-${name}`);
    return widget;
  }

  export function element(
    tag: string,
    name: string,
    text: string
  ): HTMLElement {
    const node = document.createElement(tag);
    node.className = `jp-jelai-Dashboard-${name}`;
    node.textContent = text;
    return node;
  }

  /** The plots' colours from the JupyterLab theme's variables. */
  export function theme(node: HTMLElement): IChartTheme {
    const style = getComputedStyle(node);
    const read = (name: string, fallback: string) =>
      style.getPropertyValue(name).trim() || fallback;
    const base = DEFAULT_CHART_THEME;
    return {
      text: read('--jp-ui-font-color1', base.text),
      subtle: read('--jp-ui-font-color2', base.subtle),
      grid: read('--jp-border-color2', base.grid),
      accent: read('--jp-brand-color1', base.accent),
      second: read('--jp-warn-color1', base.second),
      error: read('--jp-error-color1', base.error),
      muted: read('--jp-layout-color3', base.muted),
      background: read('--jp-layout-color1', base.background),
      font: read('--jp-ui-font-family', base.font)
    };
  }
}
