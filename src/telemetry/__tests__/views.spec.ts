/**
 * One event per change of the notebook, whichever view made it: a notebook
 * open in two views (File > New View for Notebook) is one notebook.
 */
import { NotebookActions } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { IEvent, ITelemetry } from '../../tokens';
import { NotebookTelemetry } from '../producers';
import { FakePanel, FakeTracker, recordingTelemetry } from './fake-panel';
import { schemaErrors } from './schema';

describe('a notebook in two views', () => {
  let events: IEvent[];
  let telemetry: ITelemetry;
  let tracker: FakeTracker;
  let recorder: NotebookTelemetry;
  let first: FakePanel;
  let second: FakePanel;

  beforeEach(async () => {
    jest.useFakeTimers();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ({ telemetry, events } = recordingTelemetry());
    first = new FakePanel('view-1');
    tracker = new FakeTracker([first]);
    const commandExecuted = new Signal<unknown, unknown>({});
    recorder = new NotebookTelemetry({
      telemetry,
      tracker: tracker as never,
      commands: { commandExecuted } as never
    });
    first.ready.resolve();
    await jest.advanceTimersByTimeAsync(0);
    second = first.clone('view-2');
    // A new view shows the notebook as it is; it does not activate new cells
    // added elsewhere.
    second.activatesNewCells = false;
    tracker.add(second);
    await jest.advanceTimersByTimeAsync(0);
  });

  afterEach(() => {
    recorder.dispose();
    tracker.panels.forEach(p => p.dispose());
    events.forEach(event => expect(schemaErrors(event)).toEqual([]));
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const types = () => events.map(e => e.type);
  const count = (type: string) => events.filter(e => e.type === type).length;

  it('records the opening once', () => {
    expect(types()).toEqual(['notebook.open', 'notebook.visible']);
  });

  it('records one edit, one added cell and one save', async () => {
    first.model.cells.get(0).sharedModel.setSource('a = 2');
    await jest.advanceTimersByTimeAsync(2000);
    expect(count('cell.edit')).toBe(1);

    first.model.sharedModel.insertCell(1, { cell_type: 'code', id: 'n' });
    await jest.advanceTimersByTimeAsync(0);
    expect(count('cell.add')).toBe(1);

    first.doc.save();
    expect(count('notebook.save')).toBe(1);
  });

  it('records one run per run and one restart per restart, from either view', async () => {
    const executed = NotebookActions.executed as Signal<unknown, unknown>;
    executed.emit({
      notebook: second.content,
      cell: second.cell(0),
      success: true,
      error: null
    });
    first.sessionContext.statusChanged.emit('restarting');
    await jest.advanceTimersByTimeAsync(0);
    expect(count('cell.execute')).toBe(1);
    expect(count('kernel.restart')).toBe(1);
  });

  it('records the close when the last view closes, not before', async () => {
    first.model.cells.get(1).sharedModel.setSource('d = {1: 2}');
    first.dispose();
    await jest.advanceTimersByTimeAsync(0);
    expect(count('notebook.close')).toBe(0);
    await jest.advanceTimersByTimeAsync(2000);
    // Typing goes on in the other view and is still recorded, once.
    expect(count('cell.edit')).toBe(1);
    second.model.cells.get(1).sharedModel.setSource('d = {}');
    second.dispose();
    expect(types().slice(-2)).toEqual(['cell.edit', 'notebook.close']);
    expect(count('notebook.close')).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('is visible while any view shows it', async () => {
    first.isVisible = false;
    recorder.handleEvent(new Event('visibilitychange'));
    expect(count('notebook.hidden')).toBe(0);
    second.isVisible = false;
    recorder.handleEvent(new Event('visibilitychange'));
    first.isVisible = true;
    recorder.handleEvent(new Event('visibilitychange'));
    expect(types().slice(2)).toEqual(['notebook.hidden', 'notebook.visible']);
  });
});

describe('one notebook', () => {
  let events: IEvent[];
  let tracker: FakeTracker;
  let recorder: NotebookTelemetry;
  let panel: FakePanel;

  beforeEach(async () => {
    jest.useFakeTimers();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    let telemetry: ITelemetry;
    ({ telemetry, events } = recordingTelemetry());
    panel = new FakePanel();
    tracker = new FakeTracker([panel]);
    recorder = new NotebookTelemetry({ telemetry, tracker: tracker as never });
    panel.ready.resolve();
    await jest.advanceTimersByTimeAsync(0);
    events.length = 0;
  });

  afterEach(() => {
    recorder.dispose();
    panel.dispose();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('names the cell that moved down, not the one it passed', async () => {
    // Moving the active first cell down: [a, b, c] -> [b, a, c].
    panel.model.sharedModel.moveCell(0, 1);
    await jest.advanceTimersByTimeAsync(0);
    expect(events.filter(e => e.type === 'cell.move')).toMatchObject([
      { cell: { id: 'a', index: 1 }, data: { from_index: 0, to_index: 1 } }
    ]);
  });

  it('names each cell of a moved block', async () => {
    panel.model.sharedModel.insertCell(3, { cell_type: 'code', id: 'd' });
    await jest.advanceTimersByTimeAsync(0);
    events.length = 0;
    // [a, b, c, d]: b and c move down past d -> [a, d, b, c].
    panel.model.sharedModel.moveCells(1, 3, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(events.filter(e => e.type === 'cell.move')).toMatchObject([
      { cell: { id: 'b' }, data: { from_index: 1, to_index: 2 } },
      { cell: { id: 'c' }, data: { from_index: 2, to_index: 3 } }
    ]);
  });

  it('records nothing for a move that leaves the cell where it was', async () => {
    panel.model.sharedModel.moveCell(1, 1);
    await jest.advanceTimersByTimeAsync(2000);
    const changes = ['cell.move', 'cell.add', 'cell.remove', 'cell.edit'];
    expect(events.filter(e => changes.includes(e.type))).toEqual([]);
  });

  it('records a scroll that pauses past the last cell, with no cell in view', async () => {
    const box = (top: number, height: number) =>
      ({ top, bottom: top + height, height }) as DOMRect;
    panel.content.node.getBoundingClientRect = () => box(0, 500);
    const place = (tops: number[]) =>
      panel.content.widgets.forEach((w, i) => {
        w.node.getBoundingClientRect = () => box(tops[i], 300);
      });
    place([-900, -600, -290]); // only the bottom of the last cell shows
    panel.content.node.dispatchEvent(new Event('scroll'));
    await jest.advanceTimersByTimeAsync(600);
    place([-1000, -700, -400]); // past the end: no cell in view
    panel.content.node.dispatchEvent(new Event('scroll'));
    await jest.advanceTimersByTimeAsync(600);
    expect(events).toMatchObject([
      { type: 'notebook.scroll', data: { first_visible: 2, last_visible: 2 } },
      {
        type: 'notebook.scroll',
        data: { first_visible: null, last_visible: null }
      }
    ]);
    events.forEach(event => expect(schemaErrors(event)).toEqual([]));
  });

  it('records a save only when the notebook had changed', async () => {
    panel.model.dirty = false;
    panel.doc.save();
    expect(events).toEqual([]);
    // Typing not yet reported goes out before the save that keeps it.
    panel.model.cells.get(0).sharedModel.setSource('a = 3');
    panel.doc.save();
    expect(events.map(e => e.type)).toEqual(['cell.edit', 'notebook.save']);
  });
});
