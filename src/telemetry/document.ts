import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { ICellRef, IEventContext, IKernelRef, ITelemetry } from '../tokens';
import { CellWatcher } from './cells';
import { ExecutionWatcher } from './executions';

/**
 * What a document needs to know of each of its views.
 */
export interface INotebookView {
  /** Whether the view is on screen (its tab shown, the page visible). */
  readonly isShown: boolean;
}

/**
 * Records what happens to one notebook document, once however many views
 * show it: open and close, saves, renames, cell changes, runs and their
 * outcomes, kernel restarts and interrupts, and whether any view shows it.
 *
 * A notebook opened in two views (File > New View for Notebook) is one
 * JupyterLab context with one model; its events describe changes of that
 * model, whichever view, command or shortcut made them.
 */
export class DocumentProducer implements IDisposable {
  /** Prepares the producer; `start()` once the context is ready. */
  constructor(options: DocumentProducer.IOptions) {
    this.context = options.context;
    this._telemetry = options.telemetry;
    this._editDelay = options.editDelay;
    this._path = options.context.path;
  }

  /** The notebook's context, shared by its views. */
  readonly context: NotebookPanel['context'];

  /** Whether `notebook.open` was recorded and events flow. */
  get isStarted(): boolean {
    return this._cells !== null && !this._isDisposed;
  }

  /** Whether the producer is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** How many views show the notebook. */
  get viewCount(): number {
    return this._views.size;
  }

  /** Counts a view of the notebook. */
  addView(view: INotebookView): void {
    this._views.add(view);
  }

  /** Forgets a view; the number of views left. */
  removeView(view: INotebookView): number {
    this._views.delete(view);
    return this._views.size;
  }

  /** Emits `notebook.open` and starts listening. */
  start(): void {
    const { context } = this;
    if (this._isDisposed || this._cells !== null || !context.model) {
      return;
    }
    this._cells = new CellWatcher({
      model: context.model,
      emit: (type, data, cell) => this.publish(type, data, cell),
      editDelay: this._editDelay
    });
    this._runs = new ExecutionWatcher({
      emit: (data, id) => this.publish('cell.execute', data, this.ref(id))
    });
    this.publish('notebook.open', { cells: context.model.cells.length });
    context.saveState.connect(this._onSaveState, this);
    context.pathChanged.connect(this._onPathChanged, this);
    context.sessionContext.statusChanged.connect(this._onKernelStatus, this);
  }

  /** The reference of a cell by id, with its current index. */
  ref(id: string): ICellRef {
    return this._cells?.ref(id) ?? { id, index: null, type: null };
  }

  /** Reports the cell changes gathered in this task now. */
  settle(): void {
    this._cells?.settle();
  }

  /** Emits `notebook.visible` or `notebook.hidden` if that changed. */
  updateVisibility(): void {
    if (!this.isStarted) {
      return;
    }
    const visible = Array.from(this._views).some(view => view.isShown);
    if (visible !== this._visible) {
      this._visible = visible;
      this.publish(visible ? 'notebook.visible' : 'notebook.hidden');
    }
  }

  /** Notes a cell sent to the kernel; typing in it is reported first. */
  executionScheduled(cell: Cell): void {
    if (this.isStarted && cell.model.type === 'code') {
      this._cells?.flushEdits(cell.model.id);
      this._runs?.scheduled(cell);
    }
  }

  /** Reports what JupyterLab says became of a code cell's run. */
  executed(cell: Cell, success: boolean, error?: unknown): void {
    if (this.isStarted && cell.model.type === 'code') {
      this._runs?.executed(cell, success, error);
    }
  }

  /** Emits `kernel.interrupt` when the student interrupts the kernel. */
  interrupted(): void {
    if (this.isStarted && this.context.sessionContext.session?.kernel) {
      this.publish('kernel.interrupt');
    }
  }

  /** Records an event of this notebook. */
  publish(
    type: string,
    data: Record<string, unknown> = {},
    cell: ICellRef | null = null
  ): void {
    if (this._isDisposed) {
      return;
    }
    this._telemetry.publish(type, data, this._context(cell));
  }

  /**
   * The last view closed: pending typing and runs that can no longer be
   * answered are reported, then `notebook.close`, then the producer stops.
   *
   * JupyterLab may have disposed the model, its cells and the session by
   * now; nothing here reads them.
   */
  close(): void {
    if (this.isStarted) {
      this._closing = true;
      this._cells?.flushEdits();
      this._runs?.abandon();
      this.publish('notebook.close');
    }
    this.dispose();
  }

  /** Stops listening; pending typing is reported first. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._cells?.dispose();
    this._runs?.dispose();
    this._isDisposed = true;
    const { context } = this;
    context.saveState.disconnect(this._onSaveState, this);
    context.pathChanged.disconnect(this._onPathChanged, this);
    context.sessionContext.statusChanged.disconnect(this._onKernelStatus, this);
    this._views.clear();
  }

  private _onPathChanged(_: unknown, path: string): void {
    // Later events carry the new path; this one links it to the old one.
    const from = this._path;
    this._path = path;
    if (path !== from) {
      this.publish('notebook.rename', { from });
    }
  }

  private _onSaveState(_: unknown, state: string): void {
    if (state === 'started') {
      // What is saved includes the typing not yet reported.
      this._cells?.flushEdits();
      this._changedAtSave = this.context.model?.dirty ?? true;
    } else if (state === 'completed') {
      // A save that wrote what was already on disk changed nothing.
      if (this._changedAtSave) {
        this.publish('notebook.save', {
          cells: this.context.model?.cells.length ?? 0
        });
      }
      this._changedAtSave = true;
    }
  }

  private _onKernelStatus(_: unknown, status: string): void {
    // The session and then its kernel both report one restart.
    if (status === 'restarting' && this._status !== 'restarting') {
      this.publish('kernel.restart');
    }
    this._status = status;
  }

  private _context(cell: ICellRef | null): IEventContext {
    if (!this._closing) {
      // While closing, the session may already be gone: the last one seen
      // is the notebook's.
      const kernel = this.context.sessionContext.session?.kernel ?? null;
      this._kernel = kernel ? { id: kernel.id, name: kernel.name } : null;
    }
    return { notebook: this._path, kernel: this._kernel, cell };
  }

  private _telemetry: ITelemetry;
  private _editDelay: number | undefined;
  private _cells: CellWatcher | null = null;
  private _runs: ExecutionWatcher | null = null;
  private _views = new Set<INotebookView>();
  private _path: string;
  private _kernel: IKernelRef | null = null;
  private _visible = false;
  private _status = '';
  private _changedAtSave = true;
  private _closing = false;
  private _isDisposed = false;
}

/**
 * The options of `DocumentProducer`.
 */
export namespace DocumentProducer {
  /**
   * The notebook to record and where events go.
   */
  export interface IOptions {
    /** The notebook's context (model, path, saving, kernel session). */
    context: NotebookPanel['context'];
    /** Receives the events. */
    telemetry: ITelemetry;
    /** Pause in typing after which an edit is reported, ms (default 1500). */
    editDelay?: number;
  }
}
