import type { ICodeCellModel } from '@jupyterlab/cells';
import { KernelError, NotebookActions } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { IEvent, ITelemetry } from '../../tokens';
import { NotebookTelemetry } from '../producers';
import { visibleRange } from '../view';
import { FakePanel, FakeTracker, recordingTelemetry } from './fake-panel';
import { schemaErrors } from './schema';

describe('notebook producers', () => {
  let events: IEvent[];
  let telemetry: ITelemetry;
  let panel: FakePanel;

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ({ telemetry, events } = recordingTelemetry());
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

  describe('one notebook in one view', () => {
    let recorder: NotebookTelemetry;
    const commandExecuted = new Signal<unknown, unknown>({});
    const interrupt = () =>
      commandExecuted.emit({
        id: 'notebook:interrupt-kernel',
        args: { widgetId: panel.id }
      });

    beforeEach(async () => {
      recorder = new NotebookTelemetry({
        telemetry,
        tracker: new FakeTracker([panel]) as never,
        commands: { commandExecuted } as never
      });
      panel.ready.resolve();
      await jest.advanceTimersByTimeAsync(0);
    });

    afterEach(() => {
      recorder.dispose();
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
      (NotebookActions.executionScheduled as Signal<unknown, unknown>).emit({
        notebook: panel.panel.content,
        cell
      });
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
      (NotebookActions.executed as Signal<unknown, unknown>).emit({
        notebook: panel.panel.content,
        cell,
        success: false,
        error
      });

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

    it('reports a run the kernel aborted as aborted, without an error', () => {
      (NotebookActions.executed as Signal<unknown, unknown>).emit({
        notebook: panel.panel.content,
        cell: panel.cell(0),
        success: false,
        error: new KernelError({ status: 'aborted', execution_count: null })
      });
      expect(events[2].data).toMatchObject({
        success: false,
        outcome: 'aborted',
        error: null
      });
    });

    it('records one restart per restart, and interrupts', () => {
      panel.sessionContext.statusChanged.emit('restarting');
      panel.sessionContext.statusChanged.emit('restarting');
      panel.sessionContext.statusChanged.emit('idle');
      interrupt();
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
      recorder.handleEvent(new Event('visibilitychange'));
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
    it('finds no cell in view when nothing is laid out', () => {
      const view = document.createElement('div');
      expect(
        visibleRange(view, [{ node: document.createElement('div') }])
      ).toEqual({ first_visible: null, last_visible: null });
    });
  });
});
