import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { refreshIcon, ToolbarButton } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ILabelledControl, labelledSelect, setChoices } from './controls';
import { ExportPanel } from './export-panel';
import type { CellLabeller } from './format';
import { dashboardIcon } from './icon';
import { DashboardModel } from './model';
import { DashboardView } from './view';

/**
 * The learning dashboard in the main area: its body and the download of
 * the events, under a toolbar to refresh, choose the class or one's own
 * activity, filter by notebook and choose the plot's time step. The widget
 * disposes its model with itself.
 */
export class DashboardWidget extends MainAreaWidget<DashboardView> {
  constructor(options: DashboardWidget.IOptions) {
    const { model, rendermime, translator, labeller } = options;
    super({
      content: new DashboardView({ model, rendermime, translator, labeller })
    });
    const trans = (translator ?? nullTranslator).load('jelai');
    this._trans = trans;
    this._model = model;
    this.id = 'jelai-dashboard';
    this.addClass('jp-jelai-Dashboard');
    this.title.label = trans.__('Learning Dashboard');
    this.title.caption = trans.__('Activity, errors and questions over time');
    this.title.icon = dashboardIcon;
    this.title.closable = true;
    this.content.addWidget(
      new ExportPanel({
        model,
        trans,
        serverSettings: options.serverSettings
      })
    );

    this._view = labelledSelect('view', trans.__('Show'), [
      ['class', trans.__('Class')],
      ['student', trans.__('My activity')]
    ]);
    this._notebook = labelledSelect('notebook', trans.__('Notebook'), []);
    this._bucket = labelledSelect('bucket', trans.__('Plot per'), [
      ['600', trans.__('10 minutes')],
      ['3600', trans.__('hour')],
      ['86400', trans.__('day')]
    ]);
    this._bucket.control.value = String(model.bucketSeconds);
    for (const part of [this._view, this._notebook, this._bucket]) {
      part.control.addEventListener('change', this);
    }
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh the dashboard now'),
        onClick: () => void model.refresh()
      })
    );
    this.toolbar.addItem('view', this._view.widget);
    this.toolbar.addItem('notebook', this._notebook.widget);
    this.toolbar.addItem('bucket', this._bucket.widget);
    model.changed.connect(this._onChanged, this);
    this._onChanged();
  }

  /** The dashboard's data. */
  get model(): DashboardModel {
    return this._model;
  }

  /** Follows the choice of view, the filter and the plot's time step. */
  handleEvent(event: Event): void {
    if (event.type !== 'change') {
      return;
    }
    if (event.target === this._view.control) {
      this._model.preferredView = this._view.control
        .value as DashboardModel.View;
    } else if (event.target === this._notebook.control) {
      this._model.notebook = this._notebook.control.value || null;
    } else if (event.target === this._bucket.control) {
      this._model.bucketSeconds = Number(this._bucket.control.value);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    for (const part of [this._view, this._notebook, this._bucket]) {
      part.control.removeEventListener('change', this);
    }
    this._model.changed.disconnect(this._onChanged, this);
    super.dispose();
    this._model.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.setVisible(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this._model.setVisible(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.setVisible(false);
  }

  /** Keeps the notebook filter's choices and the view's choice current. */
  private _onChanged(): void {
    const model = this._model;
    setChoices(this._notebook.control, [
      ['', this._trans.__('All notebooks')],
      ...model.notebooks.map(path => [path, path])
    ]);
    this._notebook.control.value = model.notebook ?? '';
    this._view.widget.setHidden(!model.hasClass);
    this._view.control.value = model.preferredView;
  }

  private _model: DashboardModel;
  private _trans: TranslationBundle;
  private _view: ILabelledControl<HTMLSelectElement>;
  private _notebook: ILabelledControl<HTMLSelectElement>;
  private _bucket: ILabelledControl<HTMLSelectElement>;
}

/**
 * Options of the dashboard widget.
 */
export namespace DashboardWidget {
  /** The model it shows and what it needs to draw and download. */
  export interface IOptions {
    model: DashboardModel;
    rendermime: IRenderMimeRegistry;
    serverSettings?: ServerConnection.ISettings;
    translator?: ITranslator | null;
    /** Names cells for people (their position in an open notebook). */
    labeller?: CellLabeller | null;
  }
}
