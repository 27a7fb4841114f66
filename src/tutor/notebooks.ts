import type { Cell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import {
  cellsFromNbformat,
  ICellSnapshot,
  INbformatCell,
  IErrorInfo
} from '../context';
import { ICellRef, IKernelRef } from '../tokens';
import type { TutorContextProvider } from './context-provider';

/**
 * A cell the tutor is asked about, in plain data.
 */
export interface ICellTarget {
  /** Path of its notebook. */
  notebook: string;
  cell: ICellRef & { index: number };
  kernel: IKernelRef | null;
  /** The error its last run raised, from its outputs. */
  error: IErrorInfo | null;
}

/**
 * The open notebook at a path: the current one if it matches, else the first found.
 */
export function findNotebook(
  tracker: INotebookTracker,
  path: string
): NotebookPanel | null {
  const current = tracker.currentWidget;
  if (current?.context.path === path) {
    return current;
  }
  return tracker.find(panel => panel.context.path === path) ?? null;
}

/**
 * Reads open notebooks for the context provider.
 */
export function trackerNotebooks(
  tracker: INotebookTracker
): TutorContextProvider.NotebookSource {
  return path => {
    const panel = findNotebook(tracker, path);
    const model = panel?.content.model;
    if (!panel || !model) {
      return null;
    }
    return {
      notebook: {
        path,
        kernelName: kernelRef(panel)?.name ?? null,
        cells: Array.from(model.cells, Private.snapshot)
      },
      activeCellId: panel.content.activeCell?.model.id ?? null,
      metadata: model.getMetadata('jelai')
    };
  };
}

/**
 * The cell with `cellId` (in the current notebook first, then any open one),
 * or the current notebook's active cell; null when there is none.
 */
export function findCellTarget(
  tracker: INotebookTracker,
  cellId?: string
): ICellTarget | null {
  const current = tracker.currentWidget;
  if (!cellId) {
    const cell = current?.content.activeCell;
    return current && cell
      ? cellTarget(current, cell, current.content.activeCellIndex)
      : null;
  }
  const panels = current ? [current] : [];
  tracker.forEach(panel => panels.push(panel));
  for (const panel of panels) {
    const cells = panel.content.widgets;
    const index = cells.findIndex(cell => cell.model.id === cellId);
    if (index >= 0) {
      return cellTarget(panel, cells[index], index);
    }
  }
  return null;
}

/**
 * The kernel of the open notebook at a path; null when it has none or is not open.
 */
export function trackerKernel(
  tracker: INotebookTracker,
  path: string
): IKernelRef | null {
  const panel = findNotebook(tracker, path);
  return panel ? kernelRef(panel) : null;
}

/**
 * A cell of a notebook panel as a target.
 */
export function cellTarget(
  panel: NotebookPanel,
  cell: Cell,
  index: number
): ICellTarget {
  const { id, type, error } = Private.snapshot(cell.model);
  return {
    notebook: panel.context.path,
    cell: { id, index, type },
    kernel: kernelRef(panel),
    error: error ?? null
  };
}

/**
 * The kernel of a notebook panel, if it has one.
 */
export function kernelRef(panel: NotebookPanel): IKernelRef | null {
  const kernel = panel.sessionContext.session?.kernel;
  return kernel ? { id: kernel.id, name: kernel.name } : null;
}

namespace Private {
  /** A cell model as the context builder reads it, keyed by the model's id. */
  export function snapshot(model: Cell['model']): ICellSnapshot {
    const json = model.toJSON() as unknown as INbformatCell;
    return cellsFromNbformat([{ ...json, id: model.id }])[0];
  }
}
