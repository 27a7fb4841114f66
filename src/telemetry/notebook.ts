import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import type { KernelError, NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { ICellRef, IEventContext, IKernelRef, ITelemetry } from '../tokens';
import { CellWatcher } from './cells';
import {
  countLines,
  errorFromOutputs,
  IErrorSummary,
  summariseOutputs
} from './events';

/**
 * The first and last cell shown in a scrolled view, by the cells' boxes.
 */
export function visibleRange(
  view: Element,
  cells: readonly { node: Element }[]
): { first_visible: number; last_visible: number } | null {
  const box = view.getBoundingClientRect();
  let first = -1;
  let last = -1;
  cells.forEach((cell, index) => {
    const rect = cell.node.getBoundingClientRect();
    if (rect.height > 0 && rect.bottom > box.top && rect.top < box.bottom) {
      first = first < 0 ? index : first;
      last = index;
    }
  });
  return first < 0 ? null : { first_visible: first, last_visible: last };
}

/**
 * Records what happens in one notebook panel: open, close, save, visibility,
 * scrolling, the active cell, cell changes, clipboard use, executions and
 * kernel restarts and interrupts.
 */
export class NotebookProducer implements IDisposable {
  /** Prepares the producer; `start()` once the panel's context is ready. */
  constructor(options: NotebookProducer.IOptions) {
    this.panel = options.panel;
    this._telemetry = options.telemetry;
    this._options = options;
    this._path = options.panel.context.path;
    // Connected first, so `notebook.close` is out before others clean up.
    this.panel.disposed.connect(this._onClose, this);
  }

  /** The panel recorded. */
  readonly panel: NotebookPanel;

  /** Whether the producer is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Emits `notebook.open` and starts listening. */
  start(): void {
    const { panel } = this;
    if (this._isDisposed || this._cells !== null || !panel.model) {
      return;
    }
    this._cells = new CellWatcher({
      model: panel.model,
      emit: (type, data, cell) => this._publish(type, data, cell),
      editDelay: this._options.editDelay
    });
    this._publish('notebook.open', { cells: panel.model.cells.length });
    this._active = panel.content.activeCell?.model.id ?? null;
    panel.content.activeCellChanged.connect(this._onActiveCell, this);
    panel.context.saveState.connect(this._onSaveState, this);
    panel.context.pathChanged.connect(this._onPathChanged, this);
    panel.sessionContext.statusChanged.connect(this._onKernelStatus, this);
    const node = panel.content.node;
    for (const type of ['copy', 'cut', 'paste']) {
      node.addEventListener(type, this);
    }
    node.addEventListener('scroll', this, { capture: true, passive: true });
    this.updateVisibility();
  }

  /** Emits `notebook.visible` or `notebook.hidden` if that changed. */
  updateVisibility(): void {
    if (this._cells === null || this._isDisposed) {
      return;
    }
    const visible =
      this.panel.isVisible && document.visibilityState !== 'hidden';
    if (visible !== this._visible) {
      this._visible = visible;
      this._publish(visible ? 'notebook.visible' : 'notebook.hidden');
    }
  }

  /** Notes when a cell was sent to the kernel, for the duration. */
  executionScheduled(cell: Cell): void {
    this._cells?.flushEdits(cell.model.id);
    this._started.set(cell.model.id, Date.now());
  }

  /** Emits `cell.execute` for a code cell that finished running. */
  executed(cell: Cell, success: boolean, error?: KernelError | null): void {
    const model = cell.model;
    const started = this._started.get(model.id);
    this._started.delete(model.id);
    if (this._cells === null || model.type !== 'code') {
      return;
    }
    const code = model as ICodeCellModel;
    const outputs = code.outputs.toJSON();
    const failure: IErrorSummary | null =
      error && error.errorName
        ? {
            name: String(error.errorName),
            value: String(error.errorValue ?? ''),
            traceback: (error.traceback ?? []).map(String)
          }
        : errorFromOutputs(outputs);
    this._publish(
      'cell.execute',
      {
        source: model.sharedModel.getSource(),
        success,
        execution_count: code.executionCount ?? null,
        duration_ms:
          started === undefined ? null : Math.max(0, Date.now() - started),
        error: failure,
        outputs: summariseOutputs(outputs)
      },
      this._cells.ref(model.id)
    );
  }

  /** Emits `kernel.interrupt` when the student interrupts the kernel. */
  interrupted(): void {
    if (this._cells !== null && this.panel.sessionContext.session?.kernel) {
      this._publish('kernel.interrupt');
    }
  }

  /** Handles clipboard and scroll events of the notebook node. */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'copy':
      case 'cut':
      case 'paste':
        this._onClipboard(event as ClipboardEvent);
        break;
      case 'scroll':
        this._onScroll();
        break;
    }
  }

  /** Stops listening; pending edits are reported first. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._cells?.dispose();
    this._isDisposed = true;
    if (this._scrollTimer !== null) {
      clearTimeout(this._scrollTimer);
    }
    const { panel } = this;
    panel.content.activeCellChanged.disconnect(this._onActiveCell, this);
    panel.context.saveState.disconnect(this._onSaveState, this);
    panel.context.pathChanged.disconnect(this._onPathChanged, this);
    panel.sessionContext.statusChanged.disconnect(this._onKernelStatus, this);
    panel.disposed.disconnect(this._onClose, this);
    const node = panel.content.node;
    for (const type of ['copy', 'cut', 'paste']) {
      node.removeEventListener(type, this);
    }
    node.removeEventListener('scroll', this, { capture: true });
  }

  private _onPathChanged(_: unknown, path: string): void {
    // Later events carry the new path; this one links it to the old one.
    if (this._cells !== null && path !== this._path) {
      this._publish('notebook.rename', { from: this._path });
    }
    this._path = path;
  }

  private _onClose(): void {
    if (this._cells !== null && !this._isDisposed) {
      this._cells.flushEdits();
      this._publish('notebook.close');
    }
    this.dispose();
  }

  private _onActiveCell(): void {
    // Reported at the end of the task: JupyterLab activates cells on the way
    // while it adds, moves or deletes them, and only where the student ends
    // up matters.
    if (this._activeScheduled) {
      return;
    }
    this._activeScheduled = true;
    void Promise.resolve().then(() => {
      this._activeScheduled = false;
      const id = this.panel.content.activeCell?.model.id ?? null;
      if (id === null || id === this._active || this._cells === null) {
        return;
      }
      // The notebook activates a new cell before the watcher hears of it.
      this._cells.settle();
      const previous = this._active;
      this._active = id;
      this._publish('cell.activate', { previous }, this._cells.ref(id));
    });
  }

  private _onSaveState(_: unknown, state: string): void {
    if (state === 'completed') {
      this._publish('notebook.save', {
        cells: this.panel.model?.cells.length ?? 0
      });
    }
  }

  private _onKernelStatus(_: unknown, status: string): void {
    // The session and then its kernel both report one restart.
    if (status === 'restarting' && this._status !== 'restarting') {
      this._publish('kernel.restart');
    }
    this._status = status;
  }

  private _onClipboard(event: ClipboardEvent): void {
    let text = event.clipboardData?.getData('text/plain') ?? '';
    if (!text && event.type !== 'paste') {
      text = document.getSelection()?.toString() ?? '';
    }
    if (!text || this._cells === null) {
      return;
    }
    const target = event.target instanceof Node ? event.target : null;
    const cell =
      this.panel.content.widgets.find(
        widget => target !== null && widget.node.contains(target)
      ) ?? this.panel.content.activeCell;
    this._publish(
      `clipboard.${event.type}`,
      { text, length: text.length, lines: countLines(text) },
      cell ? this._cells.ref(cell.model.id) : null
    );
  }

  private _onScroll(): void {
    if (this._scrollTimer !== null) {
      clearTimeout(this._scrollTimer);
    }
    this._scrollTimer = setTimeout(() => {
      this._scrollTimer = null;
      const notebook = this.panel.content;
      const range = visibleRange(notebook.node, notebook.widgets);
      const key = range ? `${range.first_visible}:${range.last_visible}` : '';
      if (range && key !== this._range) {
        this._range = key;
        this._publish('notebook.scroll', range);
      }
    }, this._options.scrollDelay ?? 500);
  }

  private _publish(
    type: string,
    data: Record<string, unknown> = {},
    cell: ICellRef | null = null
  ): void {
    this._telemetry.publish(type, data, this._context(cell));
  }

  private _context(cell: ICellRef | null): IEventContext {
    const kernel = this.panel.sessionContext.session?.kernel ?? null;
    const ref: IKernelRef | null = kernel
      ? { id: kernel.id, name: kernel.name }
      : null;
    return { notebook: this.panel.context.path, kernel: ref, cell };
  }

  private _telemetry: ITelemetry;
  private _options: NotebookProducer.IOptions;
  private _cells: CellWatcher | null = null;
  private _active: string | null = null;
  private _path: string;
  private _activeScheduled = false;
  private _visible = false;
  private _status = '';
  private _range = '';
  private _scrollTimer: ReturnType<typeof setTimeout> | null = null;
  private _started = new Map<string, number>();
  private _isDisposed = false;
}

/**
 * The options of `NotebookProducer`.
 */
export namespace NotebookProducer {
  /**
   * The panel to record and where events go.
   */
  export interface IOptions {
    /** The notebook panel. */
    panel: NotebookPanel;
    /** Receives the events. */
    telemetry: ITelemetry;
    /** Pause in typing after which an edit is reported, ms (default 1500). */
    editDelay?: number;
    /** Pause in scrolling after which the visible cells are reported, ms (default 500). */
    scrollDelay?: number;
  }
}
