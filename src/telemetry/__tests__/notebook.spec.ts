import type { Cell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import {
  KernelError,
  NotebookActions,
  NotebookModel,
  NotebookPanel
} from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { IEvent, IEventContext, ITelemetry } from '../../tokens';
import { createEvent } from '../events';
import { NotebookProducer, visibleRange } from '../notebook';
import { NotebookTelemetry } from '../producers';
import { Telemetry } from '../service';
import { MemoryStorage, serverConfig } from './helpers';
import { schemaErrors } from './schema';

/** A notebook panel with just what the producers use. */
class FakePanel {
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

describe('notebook producers', () => {
  let events: IEvent[];
  let telemetry: ITelemetry;
  let panel: FakePanel;

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    events = [];
    telemetry = {
      publish: (type: string, data = {}, context: IEventContext = {}) => {
        const event = createEvent(type, data, 'session-1', context);
        events.push(event);
        return event;
      }
    } as unknown as ITelemetry;
    panel = new FakePanel();
  });

  afterEach(() => {
    if (!panel.isDisposed) {
      panel.dispose();
    }
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const types = () => events.map(e => e.type);

  describe('NotebookProducer', () => {
    let producer: NotebookProducer;

    beforeEach(() => {
      producer = new NotebookProducer({ panel: panel.panel, telemetry });
      producer.start();
    });

    afterEach(() => {
      producer.dispose();
      events.forEach(event => expect(schemaErrors(event)).toEqual([]));
    });

    it('reports the opening of a visible notebook', () => {
      expect(types()).toEqual(['notebook.open', 'notebook.visible']);
      expect(events[0]).toMatchObject({
        notebook: 'week1/lab.ipynb',
        kernel: { id: 'k-1', name: 'python3' },
        data: { cells: 3 }
      });
    });

    it('reports a failed run with its error, duration and what was typed before', async () => {
      const cell = panel.cell(1);
      const model = cell.model as ICodeCellModel;
      model.sharedModel.setSource("d['x']");
      producer.executionScheduled(cell);
      await jest.advanceTimersByTimeAsync(1200);
      model.executionCount = 4;
      model.outputs.add({
        output_type: 'error',
        ename: 'KeyError',
        evalue: "'x'",
        traceback: ["KeyError: 'x'"]
      });
      const error = new KernelError({
        status: 'error',
        ename: 'KeyError',
        evalue: "'x'",
        traceback: ["KeyError: 'x'"],
        execution_count: 4
      });
      producer.executed(cell, false, error);

      expect(types().slice(2)).toEqual(['cell.edit', 'cell.execute']);
      expect(events[3]).toMatchObject({
        cell: { id: 'b', index: 1, type: 'code' },
        data: {
          source: "d['x']",
          success: false,
          execution_count: 4,
          duration_ms: 1200,
          error: { name: 'KeyError', value: "'x'" },
          outputs: [{ output_type: 'error', text: "KeyError: 'x'" }]
        }
      });
    });

    it('reports a run stopped without an error message as a plain failure', () => {
      const cell = panel.cell(0);
      producer.executed(
        cell,
        false,
        new KernelError({ status: 'aborted', execution_count: null })
      );
      expect(events[2].data).toMatchObject({ success: false, error: null });
    });

    it('records one restart per restart, and interrupts', () => {
      panel.sessionContext.statusChanged.emit('restarting');
      panel.sessionContext.statusChanged.emit('restarting');
      panel.sessionContext.statusChanged.emit('idle');
      producer.interrupted();
      expect(types().slice(2)).toEqual(['kernel.restart', 'kernel.interrupt']);
    });

    it('links a renamed notebook to its old path', () => {
      panel.context.path = 'week1/final.ipynb';
      panel.context.pathChanged.emit('week1/final.ipynb');
      const renamed = events[events.length - 1];
      expect(renamed.type).toBe('notebook.rename');
      expect(renamed.notebook).toBe('week1/final.ipynb');
      expect(renamed.data).toEqual({ from: 'week1/lab.ipynb' });
    });

    it('reports saves once they completed', () => {
      panel.context.saveState.emit('started');
      panel.context.saveState.emit('completed');
      expect(types().slice(2)).toEqual(['notebook.save']);
    });

    it('reports the cell the student ends up in, with the one before', async () => {
      const activate = (index: number) => {
        panel.content.activeCell = panel.content.widgets[index];
        panel.content.activeCellChanged.emit(panel.cell(index));
      };
      // Passing through cells within one action is not reported.
      activate(1);
      activate(2);
      await jest.advanceTimersByTimeAsync(0);
      activate(2);
      await jest.advanceTimersByTimeAsync(0);
      activate(1);
      activate(0);
      await jest.advanceTimersByTimeAsync(0);
      expect(events.slice(2)).toMatchObject([
        {
          type: 'cell.activate',
          cell: { id: 'c', index: 2, type: 'markdown' },
          data: { previous: 'a' }
        },
        {
          type: 'cell.activate',
          cell: { id: 'a', index: 0, type: 'code' },
          data: { previous: 'c' }
        }
      ]);
    });

    it('reports a new cell added before it is activated', async () => {
      panel.model.sharedModel.insertCell(0, { cell_type: 'code', id: 'n' });
      await jest.advanceTimersByTimeAsync(0);
      expect(events.slice(2)).toMatchObject([
        { type: 'cell.add', cell: { id: 'n', index: 0 } },
        {
          type: 'cell.activate',
          cell: { id: 'n', index: 0 },
          data: { previous: 'a' }
        }
      ]);
    });

    it('reports copy and paste in a cell with their size', () => {
      const copy = Object.assign(new Event('copy', { bubbles: true }), {
        clipboardData: { getData: () => 'a = 1\nb = 2' }
      });
      panel.content.widgets[1].node.dispatchEvent(copy);
      const paste = Object.assign(new Event('paste', { bubbles: true }), {
        clipboardData: { getData: () => '' }
      });
      panel.content.widgets[1].node.dispatchEvent(paste);
      expect(events.slice(2)).toMatchObject([
        {
          type: 'clipboard.copy',
          cell: { id: 'b', index: 1 },
          data: { text: 'a = 1\nb = 2', length: 11, lines: 2 }
        }
      ]);
    });

    it('reports the visible cells once scrolling pauses', async () => {
      const box = (top: number, height: number) =>
        ({ top, bottom: top + height, height }) as DOMRect;
      panel.content.node.getBoundingClientRect = () => box(0, 500);
      const tops = [-400, 100, 450];
      panel.content.widgets.forEach((w, i) => {
        w.node.getBoundingClientRect = () => box(tops[i], 300);
      });
      for (let i = 0; i < 5; i++) {
        panel.content.node.dispatchEvent(new Event('scroll'));
        await jest.advanceTimersByTimeAsync(100);
      }
      expect(types().slice(2)).toEqual([]);
      await jest.advanceTimersByTimeAsync(500);
      panel.content.node.dispatchEvent(new Event('scroll'));
      await jest.advanceTimersByTimeAsync(500);
      expect(events.slice(2)).toMatchObject([
        { type: 'notebook.scroll', data: { first_visible: 1, last_visible: 2 } }
      ]);
    });

    it('reports the tab being hidden and closed, typing first', () => {
      panel.isVisible = false;
      producer.updateVisibility();
      panel.model.cells.get(0).sharedModel.setSource('a = 2');
      panel.dispose();
      panel.context.saveState.emit('completed');
      expect(types().slice(2)).toEqual([
        'notebook.hidden',
        'cell.edit',
        'notebook.close'
      ]);
    });
  });

  describe('visibleRange', () => {
    it('finds no range when nothing is laid out', () => {
      const view = document.createElement('div');
      expect(
        visibleRange(view, [{ node: document.createElement('div') }])
      ).toBe(null);
    });
  });

  describe('NotebookTelemetry', () => {
    it('follows notebooks already open and routes runs and interrupts to them', async () => {
      const executed = NotebookActions.executed as Signal<unknown, unknown>;
      const commandExecuted = new Signal<unknown, unknown>({});
      const tracker = {
        forEach: (fn: (p: NotebookPanel) => void) => fn(panel.panel),
        widgetAdded: new Signal<unknown, NotebookPanel>({}),
        currentWidget: panel.panel,
        find: (fn: (p: NotebookPanel) => boolean) =>
          fn(panel.panel) ? panel.panel : undefined
      };
      const recorder = new NotebookTelemetry({
        telemetry,
        tracker: tracker as never,
        commands: { commandExecuted } as never
      });
      expect(events).toEqual([]);
      panel.ready.resolve();
      await jest.advanceTimersByTimeAsync(0);
      expect(types()).toEqual(['notebook.open', 'notebook.visible']);

      executed.emit({
        notebook: panel.content,
        cell: panel.cell(0),
        success: true,
        error: null
      });
      executed.emit({
        notebook: {},
        cell: panel.cell(0),
        success: true,
        error: null
      });
      commandExecuted.emit({
        id: 'notebook:interrupt-kernel',
        args: { widgetId: 'panel-1' },
        result: Promise.resolve()
      });
      commandExecuted.emit({ id: 'notebook:run-cell', args: {} });
      expect(types().slice(2)).toEqual(['cell.execute', 'kernel.interrupt']);

      recorder.dispose();
      executed.emit({
        notebook: panel.content,
        cell: panel.cell(0),
        success: true,
        error: null
      });
      expect(events).toHaveLength(4);
    });
    it('queues notebook.hidden before the hidden page sends its queue', async () => {
      const bodies: string[] = [];
      const service = new Telemetry({
        config: Promise.resolve(serverConfig()),
        sink: {
          post: () => new Promise(() => undefined),
          keepalive: async body => {
            bodies.push(body);
            return { ok: true, status: 200 };
          },
          storage: new MemoryStorage(),
          window
        }
      });
      await service.config;
      const recorder = new NotebookTelemetry({
        telemetry: service,
        tracker: {
          forEach: (fn: (p: NotebookPanel) => void) => fn(panel.panel),
          widgetAdded: new Signal<unknown, NotebookPanel>({})
        } as never
      });
      panel.ready.resolve();
      await jest.advanceTimersByTimeAsync(0);

      Object.defineProperty(document, 'visibilityState', {
        value: 'hidden',
        configurable: true
      });
      try {
        document.dispatchEvent(
          new Event('visibilitychange', { bubbles: true })
        );
      } finally {
        Object.defineProperty(document, 'visibilityState', {
          value: 'visible',
          configurable: true
        });
      }
      const sent = bodies.flatMap(b => JSON.parse(b).events as IEvent[]);
      expect(sent.map(e => e.type)).toEqual([
        'notebook.open',
        'notebook.visible',
        'notebook.hidden'
      ]);
      recorder.dispose();
      service.dispose();
    });
  });
});
