import { chatIcon } from '@jupyter/chat';
import { Cell, CodeCell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { IDisposable } from '@lumino/disposable';
import { PanelLayout, Widget } from '@lumino/widgets';
import { CellCommandIDs } from './cell-commands';

/**
 * CSS class of the "Ask the tutor about this error" button under a failed cell.
 */
export const ASK_ABOUT_ERROR_CLASS = 'jp-jelai-askAboutError';

/**
 * Puts an "Ask the tutor about this error" button under each code cell whose
 * outputs hold an error: after a run that failed, and for errors saved in a
 * notebook when it opens; the button goes when the error does.
 */
export class ErrorButtons implements IDisposable {
  constructor(options: ErrorButtons.IOptions) {
    this._options = options;
    NotebookActions.executed.connect(this._onExecuted, this);
    options.tracker.forEach(panel => this._onPanel(options.tracker, panel));
    options.tracker.widgetAdded.connect(this._onPanel, this);
  }

  /** Whether the buttons stopped following the notebooks. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stops adding buttons and removes the ones shown. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    NotebookActions.executed.disconnect(this._onExecuted, this);
    this._options.tracker.widgetAdded.disconnect(this._onPanel, this);
    for (const [cell, remove] of this._shown) {
      remove();
      this._shown.delete(cell);
    }
  }

  /** Adds or removes the button of a cell to match its outputs. */
  update(cell: Cell): void {
    if (this._isDisposed || cell.isDisposed || !(cell instanceof CodeCell)) {
      return;
    }
    const outputs = cell.model.outputs;
    let failed = false;
    for (let i = 0; i < outputs.length && !failed; i++) {
      failed = outputs.get(i).type === 'error';
    }
    const shown = this._shown.get(cell);
    if (failed && !shown) {
      this._show(cell);
    } else if (!failed && shown) {
      shown();
      this._shown.delete(cell);
    }
  }

  private _show(cell: CodeCell): void {
    const footer = (cell.layout as PanelLayout).widgets.find(widget =>
      widget.hasClass('jp-CellFooter')
    );
    if (!footer) {
      return;
    }
    const button = Private.button(this._options.trans);
    button.addEventListener('click', () => {
      void this._options.commands.execute(CellCommandIDs.askAboutError, {
        cellId: cell.model.id
      });
    });
    footer.node.appendChild(button);
    footer.addClass(Private.FOOTER_CLASS);
    const onOutputs = () => this.update(cell);
    const onDisposed = () => this._shown.delete(cell);
    cell.model.outputs.changed.connect(onOutputs);
    cell.disposed.connect(onDisposed);
    this._shown.set(cell, () => {
      cell.model.outputs.changed.disconnect(onOutputs);
      cell.disposed.disconnect(onDisposed);
      button.remove();
      footer.removeClass(Private.FOOTER_CLASS);
    });
  }

  private _onExecuted(_: unknown, args: { notebook: Notebook; cell: Cell }) {
    this.update(args.cell);
  }

  private _onPanel(_: INotebookTracker, panel: NotebookPanel): void {
    // Errors saved in the notebook get their button once the cells exist.
    void panel.context.ready.then(() => {
      if (!panel.isDisposed) {
        panel.content.widgets.forEach(cell => this.update(cell));
      }
    });
  }

  private _options: ErrorButtons.IOptions;
  private _shown = new Map<Widget, () => void>();
  private _isDisposed = false;
}

/**
 * Options of the error buttons.
 */
export namespace ErrorButtons {
  /** The notebooks to follow and the command a button runs. */
  export interface IOptions {
    tracker: INotebookTracker;
    commands: CommandRegistry;
    trans: TranslationBundle;
  }
}

namespace Private {
  /** Added to a cell footer that holds a button, so it takes room. */
  export const FOOTER_CLASS = 'jp-jelai-mod-askAboutError';

  /** The button: the chat icon and its label. */
  export function button(trans: TranslationBundle): HTMLButtonElement {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = `${ASK_ABOUT_ERROR_CLASS} jp-Button jp-mod-minimal`;
    const label = trans.__('Ask the tutor about this error');
    node.title = label;
    const icon = chatIcon.element({
      tag: 'span',
      className: `${ASK_ABOUT_ERROR_CLASS}-icon`
    });
    const text = document.createElement('span');
    text.textContent = label;
    node.append(icon, text);
    return node;
  }
}
