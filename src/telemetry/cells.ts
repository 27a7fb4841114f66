import type { ICellModel } from '@jupyterlab/cells';
import type { INotebookModel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { ICellRef } from '../tokens';
import { cellKind } from './events';

/**
 * How the cells of a notebook changed between two snapshots of their ids.
 */
export interface ICellDiff {
  removed: { id: string; index: number }[];
  added: { id: string; index: number }[];
  moved: { id: string; from: number; to: number }[];
}

/**
 * Compares two orders of cell ids: which cells left, which came, and which
 * moved.
 *
 * `reinserted` names the kept cells that were taken out and put back (how
 * JupyterLab moves cells); those of them whose index changed moved. Without
 * it, the fewest moves that explain the new order are reported, which cannot
 * tell a cell moved down from its neighbour moved up.
 */
export function diffCells(
  previous: readonly string[],
  next: readonly string[],
  reinserted?: ReadonlySet<string>
): ICellDiff {
  const before = new Map(previous.map((id, index) => [id, index]));
  const after = new Set(next);
  const removed = previous
    .map((id, index) => ({ id, index }))
    .filter(cell => !after.has(cell.id));
  const added = next
    .map((id, index) => ({ id, index }))
    .filter(cell => !before.has(cell.id));
  const kept = next
    .map((id, to) => ({ id, to, from: before.get(id) ?? -1 }))
    .filter(cell => cell.from >= 0);
  if (reinserted !== undefined) {
    // A cell put back where it was did not move.
    const moved = kept.filter(
      cell => reinserted.has(cell.id) && cell.from !== cell.to
    );
    return { removed, added, moved };
  }
  const stable = Private.longestIncreasing(kept.map(cell => cell.from));
  const moved = kept.filter((_, i) => !stable.has(i));
  return { removed, added, moved };
}

/**
 * Follows the cells of one notebook model and reports `cell.add`,
 * `cell.remove`, `cell.move` and `cell.edit` (once typing pauses).
 *
 * JupyterLab moves a cell by deleting it and inserting a copy with the same
 * id, so changes are gathered until the end of the current task and then
 * compared as id orders; a kept id with a new cell model was moved.
 *
 * JupyterLab may dispose the model and its cells before the watcher: what
 * the watcher needs at the end (the cell list, each cell's shared model, type
 * and source) is kept from when it was known, never read back.
 */
export class CellWatcher implements IDisposable {
  /** Starts following the model's current cells. */
  constructor(options: CellWatcher.IOptions) {
    this._model = options.model;
    this._list = options.model.cells;
    this._emit = options.emit;
    this._delay = options.editDelay ?? 1500;
    for (const cell of this._list) {
      this._track(cell);
    }
    this._order = Array.from(this._list, cell => cell.id);
    this._list.changed.connect(this._onCellsChanged, this);
  }

  /** Whether the watcher is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The reference of a cell by id, with its current index. */
  ref(id: string): ICellRef {
    const index = this._order.indexOf(id);
    return {
      id,
      index: index < 0 ? null : index,
      type: cellKind(this._cells.get(id)?.type)
    };
  }

  /** Reports a pending edit now: of one cell, or of every cell. */
  flushEdits(id?: string): void {
    const ids = id === undefined ? Array.from(this._cells.keys()) : [id];
    ids.forEach(cellId => this._emitEdit(cellId));
  }

  /** Reports pending edits and stops following the model. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.flushEdits();
    this._isDisposed = true;
    this._list.changed.disconnect(this._onCellsChanged, this);
    for (const id of Array.from(this._cells.keys())) {
      this._untrack(id);
    }
  }

  /**
   * Reports the cell changes gathered so far now rather than at the end of
   * the task; only safe once the change that caused them is complete.
   */
  settle(): void {
    if (this._scheduled && !this._isDisposed) {
      this._scheduled = false;
      if (!this._model.isDisposed) {
        this._reconcile();
      }
    }
  }

  private _onCellsChanged(): void {
    if (this._scheduled) {
      return;
    }
    this._scheduled = true;
    void Promise.resolve().then(() => this.settle());
  }

  private _reconcile(): void {
    const cells = Array.from(this._list);
    const order = cells.map(cell => cell.id);
    const reinserted = new Set(
      cells
        .filter(cell => {
          const entry = this._cells.get(cell.id);
          return entry !== undefined && entry.model !== cell;
        })
        .map(cell => cell.id)
    );
    const diff = diffCells(this._order, order, reinserted);
    for (const { id, index } of diff.removed) {
      const entry = this._cells.get(id);
      const ref: ICellRef = { id, index, type: cellKind(entry?.type) };
      this._untrack(id);
      this._emit('cell.remove', { source: entry?.source ?? '' }, ref);
    }
    this._order = order;
    for (const cell of cells) {
      const entry = this._cells.get(cell.id);
      if (entry === undefined) {
        this._track(cell);
      } else if (entry.model !== cell) {
        // A moved cell is a new model with the old id.
        entry.shared.changed.disconnect(this._onSourceChanged, this);
        entry.model = cell;
        entry.shared = cell.sharedModel;
        entry.type = cell.type;
        entry.shared.changed.connect(this._onSourceChanged, this);
      }
    }
    for (const { id } of diff.added) {
      this._emit('cell.add', {}, this.ref(id));
    }
    for (const { id, from, to } of diff.moved) {
      this._emit('cell.move', { from_index: from, to_index: to }, this.ref(id));
    }
  }

  private _onSourceChanged(
    shared: ICellModel['sharedModel'],
    change: { sourceChange?: unknown }
  ): void {
    const entry = this._cells.get(shared.getId());
    if (!change.sourceChange || entry === undefined || this._isDisposed) {
      return;
    }
    entry.source = shared.getSource();
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
    }
    entry.timer = setTimeout(() => this._emitEdit(shared.getId()), this._delay);
  }

  private _emitEdit(id: string): void {
    const entry = this._cells.get(id);
    if (entry === undefined || entry.timer === null) {
      return;
    }
    clearTimeout(entry.timer);
    entry.timer = null;
    if (entry.source === entry.reported) {
      return;
    }
    const delta = entry.source.length - entry.reported.length;
    entry.reported = entry.source;
    this._emit(
      'cell.edit',
      { source: entry.source, length: entry.source.length, delta },
      this.ref(id)
    );
  }

  private _track(cell: ICellModel): void {
    const shared = cell.sharedModel;
    const source = shared.getSource();
    this._cells.set(cell.id, {
      model: cell,
      shared,
      type: cell.type,
      source,
      reported: source,
      timer: null
    });
    shared.changed.connect(this._onSourceChanged, this);
  }

  private _untrack(id: string): void {
    const entry = this._cells.get(id);
    if (entry === undefined) {
      return;
    }
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
    }
    entry.shared.changed.disconnect(this._onSourceChanged, this);
    this._cells.delete(id);
  }

  private _model: INotebookModel;
  private _list: INotebookModel['cells'];
  private _emit: CellWatcher.Emit;
  private _delay: number;
  private _order: string[] = [];
  private _cells = new Map<string, Private.IEntry>();
  private _scheduled = false;
  private _isDisposed = false;
}

/**
 * The options of `CellWatcher`.
 */
export namespace CellWatcher {
  /**
   * Receives each cell event.
   */
  export type Emit = (
    type: string,
    data: Record<string, unknown>,
    cell: ICellRef
  ) => void;

  /**
   * What to follow and where to report.
   */
  export interface IOptions {
    /** The notebook model. */
    model: INotebookModel;
    /** Called for each event. */
    emit: Emit;
    /** Pause in typing after which an edit is reported, ms (default 1500). */
    editDelay?: number;
  }
}

namespace Private {
  /** What the watcher knows of one cell. */
  export interface IEntry {
    model: ICellModel;
    /** The cell's shared model, connected to while it is followed. */
    shared: ICellModel['sharedModel'];
    /** The cell type, as it was when last seen. */
    type: string;
    /** The source now; kept because a deleted cell can no longer be read. */
    source: string;
    /** The source last reported in an edit event. */
    reported: string;
    timer: ReturnType<typeof setTimeout> | null;
  }

  /**
   * Positions of one longest strictly increasing subsequence of `values`.
   */
  export function longestIncreasing(values: readonly number[]): Set<number> {
    // Patience sorting: tails[k] is the position ending the best run of k+1.
    const tails: number[] = [];
    const previous = new Array<number>(values.length).fill(-1);
    values.forEach((value, i) => {
      let lo = 0;
      let hi = tails.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (values[tails[mid]] < value) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      previous[i] = lo > 0 ? tails[lo - 1] : -1;
      tails[lo] = i;
    });
    const result = new Set<number>();
    let at = tails.length > 0 ? tails[tails.length - 1] : -1;
    while (at >= 0) {
      result.add(at);
      at = previous[at];
    }
    return result;
  }
}
