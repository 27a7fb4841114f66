import type { Cell, ICellModel } from '@jupyterlab/cells';
import { NotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { IEvent, IEventContext, ITelemetry } from '../../tokens';
import { createEvent } from '../events';

/**
 * A kernel request as the output area holds it: `done` settles with the
 * reply, or is rejected when JupyterLab cancels it (restart, dead kernel).
 */
export class FakeFuture {
  constructor() {
    this.done = this._done.promise;
    // Nobody else may wait on a cancelled request in these tests.
    this.done.catch(() => undefined);
  }

  readonly done: Promise<unknown>;

  /** The reply came. */
  reply(): void {
    this._done.resolve({});
  }

  /** JupyterLab gave the request up, as a kernel restart does. */
  cancel(): void {
    this._done.reject(
      new Error(
        'Canceled future for execute_request message before replies were done'
      )
    );
  }

  private _done = new PromiseDelegate<unknown>();
}

/** A cell widget with just what the producers use. */
export interface IFakeCell {
  node: HTMLElement;
  model: ICellModel;
  outputArea: { future: FakeFuture | null };
}

/**
 * A notebook document (JupyterLab's context): one model, its path, saving
 * and the kernel session, shared by every view of the notebook.
 */
export class FakeDocument {
  constructor() {
    this.model.sharedModel.insertCells(0, [
      { cell_type: 'code', source: 'a = 1', id: 'a' },
      { cell_type: 'code', source: 'd = {}', id: 'b' },
      { cell_type: 'markdown', source: '# Notes', id: 'c' }
    ]);
  }

  model = new NotebookModel();
  isDisposed = false;
  views: FakePanel[] = [];
  ready = new PromiseDelegate<void>();
  sessionContext = {
    statusChanged: new Signal<unknown, string>(this),
    session: { kernel: { id: 'k-1', name: 'python3' } } as {
      kernel: { id: string; name: string } | null;
    } | null
  };
  context = {
    path: 'week1/lab.ipynb',
    saveState: new Signal<unknown, string>(this),
    pathChanged: new Signal<unknown, string>(this),
    ready: this.ready.promise,
    model: this.model,
    sessionContext: this.sessionContext
  };

  /** Saves the notebook as JupyterLab does: started, then completed. */
  save(): void {
    this.context.saveState.emit('started');
    this.model.dirty = false;
    this.context.saveState.emit('completed');
  }

  /** What JupyterLab's context does once its last view closed. */
  dispose(): void {
    this.isDisposed = true;
    this.sessionContext.session = null;
    Signal.clearData(this.sessionContext);
    this.model.dispose();
    Signal.clearData(this);
  }
}

/** A notebook panel (one view of a document) with what the producers use. */
export class FakePanel {
  constructor(
    readonly id = 'panel-1',
    readonly doc = new FakeDocument()
  ) {
    this.doc.views.push(this);
    // JupyterLab's document manager hears of the closing first: it disposes
    // the document (model, cells, session) when its last view closes, before
    // any extension's handler runs.
    this.disposed.connect(() => {
      const views = this.doc.views;
      views.splice(views.indexOf(this), 1);
      if (views.length === 0) {
        this.doc.dispose();
      }
    });
    const widgets = Array.from(this.model.cells, model => this._widget(model));
    widgets.forEach(w => this.content.node.appendChild(w.node));
    this.content.widgets = widgets;
    this.content.activeCell = widgets[0];
    document.body.appendChild(this.content.node);
    // Like the notebook widget: it hears of new cells first and activates
    // them (in the view where the cell was added).
    this.model.cells.changed.connect((_, change) => {
      const known = new Map(this.content.widgets.map(w => [w.model, w]));
      this.content.widgets = Array.from(
        this.model.cells,
        model => known.get(model) ?? this._widget(model)
      );
      if (change.type === 'add' && this.activatesNewCells) {
        this.content.activeCell = this.content.widgets[change.newIndex];
        this.content.activeCellChanged.emit(this.content.activeCell);
      }
    });
  }

  isVisible = true;
  isDisposed = false;
  /** Whether cells added to the model become active here. */
  activatesNewCells = true;
  disposed = new Signal<FakePanel, void>(this);
  content = {
    node: document.createElement('div'),
    widgets: [] as IFakeCell[],
    activeCell: null as IFakeCell | null,
    activeCellChanged: new Signal<unknown, unknown>(this),
    isDisposed: false
  };

  get model(): NotebookModel {
    return this.doc.model;
  }

  get ready(): PromiseDelegate<void> {
    return this.doc.ready;
  }

  get context(): FakeDocument['context'] {
    return this.doc.context;
  }

  get sessionContext(): FakeDocument['sessionContext'] {
    return this.doc.sessionContext;
  }

  get panel(): NotebookPanel {
    return this as unknown as NotebookPanel;
  }

  /** Another view of the same notebook (File > New View for Notebook). */
  clone(id: string): FakePanel {
    return new FakePanel(id, this.doc);
  }

  cell(index: number): Cell {
    return this.content.widgets[index] as unknown as Cell;
  }

  /** Makes a cell the active one, as a click on it does. */
  activate(index: number): void {
    this.content.activeCell = this.content.widgets[index];
    this.content.activeCellChanged.emit(this.content.activeCell);
  }

  /** Closes the view in JupyterLab's order: its content goes first. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.content.isDisposed = true;
    this.content.activeCell = null;
    this.content.widgets = [];
    Signal.clearData(this.content);
    this.content.node.remove();
    this.isDisposed = true;
    this.disposed.emit();
    Signal.clearData(this);
  }

  private _widget(model: ICellModel): IFakeCell {
    return {
      node: document.createElement('div'),
      model,
      outputArea: { future: null }
    };
  }
}

/**
 * The notebook tracker the producers follow: the panels open so far, and a
 * signal when one is added.
 */
export class FakeTracker {
  constructor(readonly panels: FakePanel[] = []) {}

  widgetAdded = new Signal<unknown, NotebookPanel>(this);

  get currentWidget(): NotebookPanel | null {
    return this.panels.find(p => !p.isDisposed)?.panel ?? null;
  }

  forEach(fn: (panel: NotebookPanel) => void): void {
    this.panels.filter(p => !p.isDisposed).forEach(p => fn(p.panel));
  }

  find(fn: (panel: NotebookPanel) => boolean): NotebookPanel | undefined {
    return this.panels.map(p => p.panel).find(fn);
  }

  /** Opens a panel, as the document manager does. */
  add(panel: FakePanel): void {
    this.panels.push(panel);
    this.widgetAdded.emit(panel.panel);
  }
}

/**
 * A telemetry that records what is published, as the service would accept it.
 */
export function recordingTelemetry(): {
  telemetry: ITelemetry;
  events: IEvent[];
} {
  const events: IEvent[] = [];
  const telemetry = {
    publish: (type: string, data = {}, context: IEventContext = {}) => {
      const event = createEvent(type, data, 'session-1', context);
      events.push(event);
      return event;
    }
  } as unknown as ITelemetry;
  return { telemetry, events };
}
