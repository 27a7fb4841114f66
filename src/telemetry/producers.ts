import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Cell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  KernelError,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { ITelemetry } from '../tokens';
import { DocumentProducer } from './document';
import { ViewProducer } from './view';

/**
 * Records the activity of every notebook the tracker knows, including the
 * ones already open when the page loads: one `DocumentProducer` per notebook
 * (its context), one `ViewProducer` per panel showing it.
 */
export class NotebookTelemetry implements IDisposable {
  /** Starts recording the tracker's notebooks. */
  constructor(options: NotebookTelemetry.IOptions) {
    this._options = options;
    const { tracker, commands, shell } = options;
    tracker.forEach(panel => this._watch(panel));
    tracker.widgetAdded.connect(this._onWidgetAdded, this);
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
    NotebookActions.executed.connect(this._onExecuted, this);
    commands?.commandExecuted.connect(this._onCommand, this);
    shell?.currentChanged?.connect(this._onLayout, this);
    // Captured on the window, so `notebook.hidden` is queued before the sink's
    // listener on the document sends the queue away.
    window.addEventListener('visibilitychange', this, true);
  }

  /** Whether recording has stopped. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Updates the visibility of every notebook when the page is hidden or shown. */
  handleEvent(event: Event): void {
    if (event.type === 'visibilitychange') {
      this._documents.forEach(doc => doc.updateVisibility());
    }
  }

  /** Stops recording. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    const { tracker, commands, shell } = this._options;
    tracker.widgetAdded.disconnect(this._onWidgetAdded, this);
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
    NotebookActions.executed.disconnect(this._onExecuted, this);
    commands?.commandExecuted.disconnect(this._onCommand, this);
    shell?.currentChanged?.disconnect(this._onLayout, this);
    window.removeEventListener('visibilitychange', this, true);
    this._views.forEach((view, panel) => {
      panel.disposed.disconnect(this._onPanelDisposed, this);
      view.dispose();
    });
    this._views.clear();
    this._documents.forEach(doc => doc.dispose());
    this._documents.clear();
  }

  private _onWidgetAdded(_: unknown, panel: NotebookPanel): void {
    this._watch(panel);
  }

  private _watch(panel: NotebookPanel): void {
    if (this._views.has(panel) || panel.isDisposed) {
      return;
    }
    const { context } = panel;
    let doc = this._documents.get(context);
    if (doc === undefined) {
      doc = new DocumentProducer({
        context,
        telemetry: this._options.telemetry,
        editDelay: this._options.editDelay
      });
      this._documents.set(context, doc);
    }
    const view = new ViewProducer({
      panel,
      document: doc,
      scrollDelay: this._options.scrollDelay
    });
    doc.addView(view);
    this._views.set(panel, view);
    panel.disposed.connect(this._onPanelDisposed, this);
    void context.ready.then(
      () => {
        if (!view.isDisposed) {
          view.document.start();
          view.start();
          view.document.updateVisibility();
        }
      },
      () => undefined // a notebook that fails to load is closed by JupyterLab
    );
  }

  private _onPanelDisposed(panel: NotebookPanel): void {
    // JupyterLab may have disposed the panel's content, and with the last
    // view the model, its cells and the session, before this runs.
    panel.disposed.disconnect(this._onPanelDisposed, this);
    const view = this._views.get(panel);
    if (view === undefined) {
      return;
    }
    this._views.delete(panel);
    view.dispose();
    const doc = view.document;
    if (doc.removeView(view) === 0) {
      this._documents.delete(doc.context);
      doc.close();
    } else {
      doc.updateVisibility();
    }
  }

  private _find(notebook: Notebook): DocumentProducer | undefined {
    for (const [panel, view] of this._views) {
      if (panel.content === notebook) {
        return view.document;
      }
    }
    return undefined;
  }

  private _onScheduled(
    _: unknown,
    args: { notebook: Notebook; cell: Cell }
  ): void {
    this._find(args.notebook)?.executionScheduled(args.cell);
  }

  private _onExecuted(
    _: unknown,
    args: {
      notebook: Notebook;
      cell: Cell;
      success: boolean;
      error?: KernelError | null;
    }
  ): void {
    this._find(args.notebook)?.executed(args.cell, args.success, args.error);
  }

  private _onCommand(
    _: unknown,
    args: { id: string; args: { readonly [key: string]: unknown } }
  ): void {
    // Toolbar, menu (through its semantic command), palette and shortcut all
    // run this one command; restarts are seen on the kernel status instead,
    // which also covers "restart and run all" and cancelled dialogs.
    if (args.id !== 'notebook:interrupt-kernel') {
      return;
    }
    const widgetId = args.args['widgetId'];
    const panel =
      (typeof widgetId === 'string'
        ? this._options.tracker.find(p => p.id === widgetId)
        : null) ?? this._options.tracker.currentWidget;
    if (panel) {
      this._views.get(panel)?.document.interrupted();
    }
  }

  private _onLayout(): void {
    // Let the shell finish showing and hiding before reading visibility.
    void Promise.resolve().then(() => {
      this._documents.forEach(doc => doc.updateVisibility());
    });
  }

  private _options: NotebookTelemetry.IOptions;
  private _views = new Map<NotebookPanel, ViewProducer>();
  private _documents = new Map<NotebookPanel['context'], DocumentProducer>();
  private _isDisposed = false;
}

/**
 * The options of `NotebookTelemetry`.
 */
export namespace NotebookTelemetry {
  /**
   * What to follow and where events go.
   */
  export interface IOptions {
    /** Receives the events. */
    telemetry: ITelemetry;
    /** The notebooks to record. */
    tracker: INotebookTracker;
    /** The application's commands, to see kernel interrupts. */
    commands?: JupyterFrontEnd['commands'];
    /** The application shell, to see tab changes. */
    shell?: JupyterFrontEnd.IShell;
    /** Pause in typing after which an edit is reported, ms (default 1500). */
    editDelay?: number;
    /** Pause in scrolling after which the visible cells are reported, ms (default 500). */
    scrollDelay?: number;
  }
}
