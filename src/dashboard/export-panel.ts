import { showErrorMessage } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { downloadIcon } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import { ILabelledControl, labelledInput } from './controls';
import { downloadExport, IExportOptions } from './export';
import { DashboardModel } from './model';

/**
 * The dashboard's download: the events (of the notebook the dashboard is
 * limited to) between two dates, as JSONL or CSV; instructors may have the
 * names pseudonymised.
 */
export class ExportPanel extends Panel {
  constructor(options: ExportPanel.IOptions) {
    super();
    this.addClass('jp-jelai-Dashboard-export');
    const { trans } = options;
    this._model = options.model;
    this._trans = trans;
    this._serverSettings = options.serverSettings;
    const heading = new Widget({ node: document.createElement('h3') });
    heading.addClass('jp-jelai-Dashboard-exportTitle');
    heading.node.textContent = trans.__('Download the events');
    this._since = labelledInput('since', trans.__('From'), 'date');
    this._until = labelledInput('until', trans.__('to'), 'date');
    this._pseudonymise = labelledInput(
      'pseudonymise',
      trans.__('Pseudonymise names'),
      'checkbox'
    );
    const buttons = new Widget();
    buttons.addClass('jp-jelai-Dashboard-exportButtons');
    for (const format of ['jsonl', 'csv'] as const) {
      buttons.node.append(Private.button(format, trans));
    }
    buttons.node.addEventListener('click', this);
    this._buttons = buttons;
    [
      heading,
      this._since.widget,
      this._until.widget,
      this._pseudonymise.widget,
      buttons
    ].forEach(part => this.addWidget(part));
    this._model.changed.connect(this._onChanged, this);
    this._onChanged();
  }

  /**
   * Downloads the events as the panel is set; an error is shown in a dialog.
   */
  async download(format: IExportOptions['format']): Promise<void> {
    const options: IExportOptions = {
      format,
      notebook: this._model.notebook,
      since: this._since.control.value || null,
      until: this._until.control.value || null,
      pseudonymise:
        this._model.isInstructor && this._pseudonymise.control.checked
    };
    try {
      await downloadExport(options, this._serverSettings);
    } catch (error) {
      await showErrorMessage(
        this._trans.__('The events could not be downloaded'),
        error instanceof Error ? error.message : String(error)
      );
    }
  }

  /** Starts a download when a format's button is clicked. */
  handleEvent(event: Event): void {
    const target = event.target as HTMLElement | null;
    const button = target?.closest<HTMLElement>('[data-format]');
    if (event.type === 'click' && button) {
      void this.download(button.dataset.format as IExportOptions['format']);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._buttons.node.removeEventListener('click', this);
    this._model.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  /** Pseudonyms are offered to instructors, who download others' names. */
  private _onChanged(): void {
    this._pseudonymise.widget.setHidden(!this._model.isInstructor);
  }

  private _model: DashboardModel;
  private _trans: TranslationBundle;
  private _serverSettings: ServerConnection.ISettings | undefined;
  private _since: ILabelledControl<HTMLInputElement>;
  private _until: ILabelledControl<HTMLInputElement>;
  private _pseudonymise: ILabelledControl<HTMLInputElement>;
  private _buttons: Widget;
}

/**
 * Options of the export panel.
 */
export namespace ExportPanel {
  /** The dashboard's model (for its notebook filter) and the server. */
  export interface IOptions {
    model: DashboardModel;
    trans: TranslationBundle;
    serverSettings?: ServerConnection.ISettings;
  }
}

namespace Private {
  export function button(
    format: IExportOptions['format'],
    trans: TranslationBundle
  ): HTMLButtonElement {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = `jp-Button jp-mod-styled jp-mod-reject jp-jelai-Dashboard-export-${format}`;
    node.dataset.format = format;
    node.title = trans.__('Download the events as %1', format.toUpperCase());
    const icon = downloadIcon.element({
      tag: 'span',
      className: 'jp-jelai-Dashboard-exportIcon'
    });
    node.append(icon, format.toUpperCase());
    return node;
  }
}
