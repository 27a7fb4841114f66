import type { Cell, ICellModel } from '@jupyterlab/cells';
import { NotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { IEvent, IEventContext, ITelemetry } from '../../tokens';
import { createEvent } from '../events';

/** A notebook panel with just what the producers use. */
export class FakePanel {
  constructor(readonly id = 'panel-1') {
    this.model.sharedModel.insertCells(0, [
      { cell_type: 'code', source: 'a = 1', id: 'a' },
      { cell_type: 'code', source: 'd = {}', id: 'b' },
      { cell_type: 'markdown', source: '# Notes', id: 'c' }
    ]);
    const widgets = Array.from(this.model.cells, model => {
      const node = document.createElement('div');
      this.content.node.appendChild(node);
      return { node, model };
    });
    this.content.widgets = widgets;
    this.content.activeCell = widgets[0];
    document.body.appendChild(this.content.node);
    // Like the notebook widget: it hears of new cells first and activates them.
    this.model.cells.changed.connect((_, change) => {
      const known = new Map(this.content.widgets.map(w => [w.model, w]));
      this.content.widgets = Array.from(
        this.model.cells,
        model =>
          known.get(model) ?? { node: document.createElement('div'), model }
      );
      if (change.type === 'add') {
        this.content.activeCell = this.content.widgets[change.newIndex];
        this.content.activeCellChanged.emit(this.content.activeCell);
      }
    });
  }

  model = new NotebookModel();
  isVisible = true;
  isDisposed = false;
  disposed = new Signal<FakePanel, void>(this);
  content = {
    node: document.createElement('div'),
    widgets: [] as { node: HTMLElement; model: ICellModel }[],
    activeCell: null as { node: HTMLElement; model: ICellModel } | null,
    activeCellChanged: new Signal<unknown, unknown>(this)
  };
  ready = new PromiseDelegate<void>();
  context = {
    path: 'week1/lab.ipynb',
    saveState: new Signal<unknown, string>(this),
    pathChanged: new Signal<unknown, string>(this),
    ready: this.ready.promise
  };
  sessionContext = {
    statusChanged: new Signal<unknown, string>(this),
    session: { kernel: { id: 'k-1', name: 'python3' } } as {
      kernel: { id: string; name: string } | null;
    } | null
  };

  get panel(): NotebookPanel {
    return this as unknown as NotebookPanel;
  }

  cell(index: number): Cell {
    return this.content.widgets[index] as unknown as Cell;
  }

  dispose(): void {
    this.isDisposed = true;
    this.disposed.emit();
    this.content.node.remove();
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
